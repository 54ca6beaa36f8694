// The video grid of the room: one camera tile per participant (yourself first), plus screen tiles.
// Where they go (grid, speaker, a screen on the stage, pinned) is layout.js's decision.
import { chooseLayout, StageLayout } from "./layout.js";
import { el } from "./ui.js";

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** A tile: a participant's camera (or their name when there is no picture), or a shared screen. */
class Tile {
  constructor({ id, name, kind, self = false, onFirstFrame = null, onPin = null }) {
    this.id = id;
    this.key = `${id}:${kind}`;
    this.onFirstFrame = onFirstFrame;
    this.kind = kind; // "camera" | "screen"
    this.videoOn = kind === "screen";
    this.hasFrames = false;
    this.video = el("video", {
      autoplay: true,
      playsinline: true,
      muted: true,
      "data-participant-id": id,
      "data-kind": kind,
    });
    this.video.muted = true; // sound plays through the <audio> element
    if (self) this.video.dataset.self = "true";
    this.audio = kind === "camera" && !self ? el("audio", { autoplay: true, "data-participant-id": id }) : null;
    this.nameEl = el("span", { class: "tile-name-text" });
    this.micOff = el("span", { class: "badge badge-muted", hidden: true, text: "Microphone off" });
    this.hand = el("span", { class: "badge badge-hand", hidden: true, text: "✋ Hand raised" });
    this.quality = el("span", { class: "badge badge-quality", hidden: true });
    // The server stopped this video because our own connection cannot carry it (audio goes on).
    this.linkPaused = el("span", { class: "badge badge-link-paused", role: "status", hidden: true });
    this.pinLabel = el("span", { class: "visually-hidden" });
    this.pin = el("button", { type: "button", class: "tile-pin", "aria-pressed": "false" }, "Pin", this.pinLabel);
    if (onPin) this.pin.addEventListener("click", () => onPin(this.key));
    this.placeholderName = el("span", { class: "tile-placeholder-name" });
    this.avatar = el("span", { class: "avatar", "aria-hidden": "true" });
    this.root = el(
      "figure",
      { class: `tile tile-${kind}${self ? " tile-self" : ""}`, "data-participant-id": id, "data-kind": kind },
      this.video,
      el("div", { class: "tile-placeholder" }, this.avatar, this.placeholderName),
      el("figcaption", { class: "tile-name" }, this.nameEl, this.micOff, this.hand, this.quality, this.linkPaused),
      this.pin,
      this.audio,
    );
    this.firstReported = false;
    this.gotFrames = () => {
      this.hasFrames = this.video.videoWidth > 0;
      if (this.hasFrames && !this.firstReported) {
        this.firstReported = true;
        if (this.onFirstFrame) this.onFirstFrame(this.id, this.kind);
      }
      this.update();
    };
    this.video.addEventListener("resize", this.gotFrames);
    this.video.addEventListener("loadeddata", this.gotFrames);
    this.setName(name, self);
    this.update();
  }

  setName(name, self = false) {
    this.name = name;
    if (this.kind === "screen") {
      this.video.dataset.screenOf = name;
      this.nameEl.textContent = self ? "Your screen" : `${name}'s screen`;
      this.placeholderName.textContent = this.nameEl.textContent;
    } else {
      if (!self) this.video.dataset.participant = name;
      this.nameEl.textContent = self ? `${name} (you)` : name;
      this.placeholderName.textContent = name;
    }
    this.avatar.textContent = initials(name);
    this.video.setAttribute("aria-label", this.nameEl.textContent);
    this.pinLabel.textContent = ` ${this.nameEl.textContent}`; // "Pin Bob", "Pin Bob's screen"
  }

  /** Play this tile's sound on the chosen speaker ("" for the default). */
  setSinkId(sinkId) {
    this.sinkId = sinkId;
    if (this.audio && this.audio.setSinkId) this.audio.setSinkId(sinkId).catch(() => {});
  }

  setPinned(pinned) {
    this.pin.setAttribute("aria-pressed", String(pinned));
    this.pin.firstChild.textContent = pinned ? "Unpin" : "Pin";
  }

  /** Speaking right now (from audio levels): a ring on the tile. */
  setSpeaking(speaking) {
    this.root.classList.toggle("speaking", speaking);
    this.root.dataset.speaking = String(speaking);
  }

  setHand(raised) {
    this.hand.hidden = !raised;
  }

  /** "good" | "poor" | "" (unknown); a poor connection says so on the tile. */
  setQuality(quality, words = "") {
    this.root.dataset.quality = quality;
    this.quality.hidden = quality !== "poor";
    this.quality.textContent = "Poor connection"; // short on the tile; the reasons in its tooltip
    if (words) this.quality.title = words;
    else this.quality.removeAttribute("title");
  }

  /** "Video paused: poor connection" on this tile while the server holds its video back. */
  setLinkPaused(message) {
    this.linkPaused.hidden = !message;
    this.linkPaused.textContent = message || "";
    this.root.dataset.linkPaused = String(Boolean(message));
  }

  setVideoTrack(track) {
    const current = this.video.srcObject && this.video.srcObject.getVideoTracks()[0];
    if (current === track) return false;
    if (!track) {
      this.video.srcObject = null;
      this.hasFrames = false;
    } else {
      this.video.srcObject = new MediaStream([track]);
      this.hasFrames = false;
      this.firstReported = false;
      // The moment a frame is shown, where supported (the events above are the fallback).
      if (this.video.requestVideoFrameCallback) this.video.requestVideoFrameCallback(this.gotFrames);
      track.addEventListener("mute", () => {
        this.hasFrames = false;
        this.update();
      });
      track.addEventListener("unmute", () => {
        this.hasFrames = this.video.videoWidth > 0;
        this.update();
      });
      this.video.play().catch(() => {});
    }
    this.update();
    return true;
  }

  setAudioTrack(track) {
    if (!this.audio) return;
    const current = this.audio.srcObject && this.audio.srcObject.getAudioTracks()[0];
    if (current === track) return;
    if (this.sinkId !== undefined && this.audio.setSinkId) this.audio.setSinkId(this.sinkId).catch(() => {});
    this.audio.srcObject = track ? new MediaStream([track]) : null;
    if (track) this.audio.play().catch(() => {});
  }

  setState({ audio, video }) {
    if (typeof audio === "boolean") this.micOff.hidden = audio;
    if (typeof video === "boolean" && this.kind === "camera") this.videoOn = video;
    this.update();
  }

  update() {
    const showing = this.videoOn && this.hasFrames;
    this.root.classList.toggle("no-video", !showing);
  }
}

/** The video grid: one camera tile per participant (yourself first), plus screen tiles. */
export class Grid {
  constructor(gridEl, { onNeedKeyframe, onFirstFrame, onLayout = () => {} }) {
    this.gridEl = gridEl;
    gridEl.replaceChildren(el("div", { class: "tiles-main" }), el("div", { class: "tiles-strip", hidden: true }));
    this.stage = new StageLayout(gridEl);
    this.tiles = new Map(); // "id:kind" -> Tile
    this.onNeedKeyframe = onNeedKeyframe;
    this.onFirstFrame = onFirstFrame;
    this.onLayout = onLayout; // (choice) after every layout: the page's controls follow it
    this.mode = "grid"; // "grid" | "speaker"
    this.pinned = null; // a tile key
    this.activeSpeaker = null; // a participant id (or "self")
    this.maxGrid = 16;
    this.onPin = (key) => this.setPinned(this.pinned === key ? null : key);
  }

  key(id, kind) {
    return `${id}:${kind}`;
  }

  tile(id, kind) {
    return this.tiles.get(this.key(id, kind));
  }

  /** The speaker every tile plays on (a choice of the Devices pickers). */
  setSinkId(sinkId) {
    this.sinkId = sinkId;
    for (const tile of this.tiles.values()) tile.setSinkId(sinkId);
  }

  /** Our link cannot carry the others' video (message shown on their tiles), or can again (""). */
  setLinkPaused(message) {
    this.linkMessage = message; // for tiles added while it holds
    for (const tile of this.tiles.values()) if (tile.id !== "self") tile.setLinkPaused(message);
  }

  add(id, name, kind, self = false) {
    const tile = new Tile({ id, name, kind, self, onFirstFrame: self ? null : this.onFirstFrame, onPin: this.onPin });
    if (this.sinkId) tile.setSinkId(this.sinkId);
    if (this.linkMessage && !self) tile.setLinkPaused(this.linkMessage);
    this.tiles.set(tile.key, tile);
    return tile;
  }

  setMode(mode) {
    this.mode = mode;
    this.layout();
  }

  setPinned(key) {
    this.pinned = key && this.tiles.has(key) ? key : null;
    this.layout();
  }

  setActiveSpeaker(id) {
    if (this.activeSpeaker === id) return;
    this.activeSpeaker = id;
    if (this.mode === "speaker") this.layout();
  }

  setSelf({ id, name, track, state }) {
    let tile = this.tile("self", "camera");
    if (!tile) tile = this.add("self", name, "camera", true);
    if (id !== undefined) tile.root.dataset.selfId = id;
    tile.setName(name, true);
    tile.setVideoTrack(track);
    tile.setState(state);
    this.layout();
  }

  setSelfScreen(track, name) {
    let tile = this.tile("self", "screen");
    if (!track) {
      if (tile) this.remove("self", "screen");
      return;
    }
    if (!tile) tile = this.add("self", name, "screen", true);
    tile.setVideoTrack(track);
    this.layout();
  }

  upsert(p) {
    let tile = this.tile(p.id, "camera");
    if (!tile) tile = this.add(p.id, p.name, "camera");
    tile.setName(p.name);
    tile.setState(p);
    tile.setHand(Boolean(p.hand_raised_at));
    if (!p.screen) this.remove(p.id, "screen");
    this.layout();
  }

  remove(id, kind) {
    const kinds = kind ? [kind] : ["camera", "screen"];
    for (const k of kinds) {
      const tile = this.tile(id, k);
      if (!tile) continue;
      tile.setVideoTrack(null);
      tile.setAudioTrack(null);
      tile.root.remove();
      this.tiles.delete(this.key(id, k));
      if (this.pinned === tile.key) this.pinned = null;
    }
    this.layout();
  }

  /** Keep everyone's tile (their name shows) but drop media from a closed connection. */
  clearRemoteMedia() {
    for (const tile of [...this.tiles.values()]) {
      if (tile.id === "self") continue;
      if (tile.kind === "screen") this.remove(tile.id, "screen");
      else {
        tile.setVideoTrack(null);
        tile.setAudioTrack(null);
      }
    }
  }

  clearRemote() {
    for (const tile of [...this.tiles.values()]) if (tile.id !== "self") this.remove(tile.id);
  }

  /** Attach the subscribe connection's tracks; `participants` is the roster (id -> info). */
  attach(list, participants) {
    const seen = new Set();
    for (const { participant, kind, track } of list) {
      const p = participants.get(participant);
      if (!p) continue;
      if (kind === "audio") {
        this.upsert(p);
        this.tile(p.id, "camera").setAudioTrack(track);
        seen.add(this.key(p.id, "audio"));
      } else if (kind === "video") {
        this.upsert(p);
        if (this.tile(p.id, "camera").setVideoTrack(track)) this.watchFirstFrame(p.id, "camera");
        seen.add(this.key(p.id, "camera"));
      } else if (kind === "screen" && p.screen) {
        const tile = this.tile(p.id, "screen") || this.add(p.id, p.name, "screen");
        if (tile.setVideoTrack(track)) this.watchFirstFrame(p.id, "screen");
        seen.add(this.key(p.id, "screen"));
      }
    }
    // Tracks that are no longer offered (e.g. the SFU reused a transceiver).
    for (const tile of [...this.tiles.values()]) {
      if (tile.id === "self") continue;
      if (tile.kind === "screen" && !seen.has(this.key(tile.id, "screen"))) this.remove(tile.id, "screen");
      else if (tile.kind === "camera") {
        if (!seen.has(this.key(tile.id, "camera"))) tile.setVideoTrack(null);
        if (!seen.has(this.key(tile.id, "audio"))) tile.setAudioTrack(null);
      }
    }
    this.layout();
  }

  /** If a new video shows no picture after a moment, ask the publisher for a keyframe (twice at most):
   * the SFU asks too, but a lost or throttled request would otherwise cost a late joiner seconds. */
  watchFirstFrame(id, kind) {
    for (const delay of [700, 1700]) {
      setTimeout(() => {
        const tile = this.tile(id, kind);
        if (tile && tile.videoOn && tile.video.videoWidth === 0) this.onNeedKeyframe(id);
      }, delay);
    }
  }

  /** Display order: yourself first, then the others as they came, each screen after its camera. */
  ordered() {
    const cameras = [...this.tiles.values()].filter((t) => t.kind === "camera");
    cameras.sort((a, b) => (b.id === "self") - (a.id === "self"));
    const out = [];
    for (const camera of cameras) {
      out.push(camera);
      const screen = this.tile(camera.id, "screen");
      if (screen) out.push(screen);
    }
    for (const t of this.tiles.values()) if (!out.includes(t)) out.push(t); // a screen without a camera
    return out;
  }

  layout() {
    const tiles = this.ordered();
    const choice = chooseLayout({
      tiles,
      mode: this.mode,
      pinned: this.pinned,
      activeSpeaker: this.activeSpeaker,
      maxGrid: this.maxGrid,
    });
    for (const t of tiles) t.setPinned(t.key === this.pinned);
    this.stage.place(new Map(tiles.map((t) => [t.key, t.root])), choice);
    this.onLayout(choice);
  }
}
