// DOM for the room: status line, video tiles, participant list, chat and captions.
// Text from other people always goes through textContent, never innerHTML.

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** One polite live region for progress, one assertive region for problems. */
export class Status {
  constructor(statusEl, alertEl) {
    this.statusEl = statusEl;
    this.alertEl = alertEl;
  }

  show(text, kind = "info") {
    this.statusEl.textContent = text;
    this.statusEl.dataset.kind = kind;
    if (kind !== "error") this.clearAlert();
  }

  alert(text) {
    this.alertEl.textContent = text;
    this.alertEl.hidden = !text;
  }

  clearAlert() {
    this.alert("");
  }
}

/** A tile: a participant's camera (or their name when there is no picture), or a shared screen. */
class Tile {
  constructor({ id, name, kind, self = false, onFirstFrame = null }) {
    this.id = id;
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
    this.placeholderName = el("span", { class: "tile-placeholder-name" });
    this.avatar = el("span", { class: "avatar", "aria-hidden": "true" });
    this.root = el(
      "figure",
      { class: `tile tile-${kind}${self ? " tile-self" : ""}`, "data-participant-id": id, "data-kind": kind },
      this.video,
      el("div", { class: "tile-placeholder" }, this.avatar, this.placeholderName),
      el("figcaption", { class: "tile-name" }, this.nameEl, this.micOff),
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
  constructor(gridEl, { onNeedKeyframe, onFirstFrame }) {
    this.gridEl = gridEl;
    this.tiles = new Map(); // "id:kind" -> Tile
    this.onNeedKeyframe = onNeedKeyframe;
    this.onFirstFrame = onFirstFrame;
  }

  key(id, kind) {
    return `${id}:${kind}`;
  }

  tile(id, kind) {
    return this.tiles.get(this.key(id, kind));
  }

  setSelf({ id, name, track, state }) {
    let tile = this.tile("self", "camera");
    if (!tile) {
      tile = new Tile({ id: "self", name, kind: "camera", self: true });
      this.tiles.set(this.key("self", "camera"), tile);
      this.gridEl.prepend(tile.root);
    }
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
    if (!tile) {
      tile = new Tile({ id: "self", name, kind: "screen", self: true });
      this.tiles.set(this.key("self", "screen"), tile);
      this.gridEl.append(tile.root);
    }
    tile.setVideoTrack(track);
    this.layout();
  }

  upsert(p) {
    let tile = this.tile(p.id, "camera");
    if (!tile) {
      tile = new Tile({ id: p.id, name: p.name, kind: "camera", onFirstFrame: this.onFirstFrame });
      this.tiles.set(this.key(p.id, "camera"), tile);
      this.gridEl.append(tile.root);
    }
    tile.setName(p.name);
    tile.setState(p);
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
        let tile = this.tile(p.id, "screen");
        if (!tile) {
          tile = new Tile({ id: p.id, name: p.name, kind: "screen", onFirstFrame: this.onFirstFrame });
          this.tiles.set(this.key(p.id, "screen"), tile);
          this.tile(p.id, "camera").root.after(tile.root);
        }
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

  layout() {
    this.gridEl.dataset.count = String(this.tiles.size);
  }
}

/** The participant list, with the host's Mute and Remove buttons. */
export class Roster {
  constructor(listEl, countEl, { isHost, onModerate }) {
    this.listEl = listEl;
    this.countEl = countEl;
    this.isHost = isHost;
    this.onModerate = onModerate;
  }

  render(self, participants) {
    this.listEl.replaceChildren();
    const everyone = [{ ...self, self: true }, ...participants.values()];
    for (const p of everyone) {
      const status = [];
      if (p.is_host) status.push("host");
      if (p.guest) status.push("guest");
      if (!p.audio) status.push("microphone off");
      if (!p.video) status.push("camera off");
      if (p.screen) status.push("sharing screen");
      const li = el(
        "li",
        { "data-participant-id": p.self ? "self" : p.id },
        el("span", { class: "roster-name", text: p.self ? `${p.name} (you)` : p.name }),
        status.length ? el("span", { class: "roster-status", text: status.join(", ") }) : null,
      );
      if (this.isHost && !p.self) {
        const actions = el("span", { class: "roster-actions" });
        const mute = el("button", { type: "button", class: "button button-small", disabled: !p.audio });
        mute.append("Mute", el("span", { class: "visually-hidden", text: ` ${p.name}` }));
        mute.addEventListener("click", () => this.onModerate("mute", p.id));
        const remove = el("button", { type: "button", class: "button button-small button-danger" });
        remove.append("Remove", el("span", { class: "visually-hidden", text: ` ${p.name}` }));
        remove.addEventListener("click", () => {
          if (window.confirm(`Remove ${p.name} from the meeting?`)) this.onModerate("remove", p.id);
        });
        actions.append(mute, remove);
        li.append(actions);
      }
      this.listEl.append(li);
    }
    this.countEl.textContent = String(everyone.length);
  }
}

/** Chat history and new messages. */
export class Chat {
  constructor(logEl) {
    this.logEl = logEl;
    this.ids = new Set();
  }

  clear() {
    this.logEl.replaceChildren();
    this.ids.clear();
  }

  add(message) {
    if (message.id !== undefined && this.ids.has(message.id)) return;
    if (message.id !== undefined) this.ids.add(message.id);
    const at = new Date(message.at);
    const time = Number.isNaN(at.getTime())
      ? null
      : el("time", {
          datetime: message.at,
          text: at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
        });
    const li = el(
      "li",
      { class: "chat-message", "data-message-id": message.id },
      el("span", { class: "chat-author", text: message.guest ? `${message.author} (guest)` : message.author }),
      time,
      el("p", { class: "chat-text", text: message.text }),
    );
    const nearBottom = this.logEl.scrollHeight - this.logEl.scrollTop - this.logEl.clientHeight < 40;
    this.logEl.append(li);
    if (nearBottom) this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  note(text) {
    this.logEl.append(el("li", { class: "chat-note", text }));
    this.logEl.scrollTop = this.logEl.scrollHeight;
  }
}

/** Caption overlay: interim lines of one utterance replace each other; final lines fade out. */
export class Captions {
  constructor(regionEl, toggleEl, { keepSeconds = 6, maxLines = 3 } = {}) {
    this.regionEl = regionEl;
    this.toggleEl = toggleEl;
    this.keepMs = keepSeconds * 1000;
    this.maxLines = maxLines;
    this.lines = new Map(); // utterance -> {node, timer}
    this.finished = new Set(); // utterances whose final arrived: a late interim must not reopen them
    let on = true;
    try {
      on = window.localStorage.getItem("captions") !== "off";
    } catch {
      /* storage may be blocked */
    }
    this.set(on);
    toggleEl.addEventListener("click", () => this.set(!this.on));
  }

  set(on) {
    this.on = on;
    this.toggleEl.setAttribute("aria-pressed", String(on));
    this.regionEl.hidden = !on;
    try {
      window.localStorage.setItem("captions", on ? "on" : "off");
    } catch {
      /* ignore */
    }
  }

  show(caption) {
    const text = String(caption.text || "").trim();
    if (this.finished.has(caption.utterance)) return; // interim from a slower worker, after the final
    if (caption.final) {
      this.finished.add(caption.utterance);
      if (this.finished.size > 200) this.finished.delete(this.finished.values().next().value);
    }
    let line = this.lines.get(caption.utterance);
    if (!text) {
      if (line && caption.final) this.drop(caption.utterance);
      return;
    }
    if (!line) {
      const speaker = el("span", { class: "caption-speaker" });
      const words = el("span", { class: "caption-text" });
      const node = el("p", { class: "caption", "data-utterance": caption.utterance }, speaker, words);
      line = { node, speaker, words, timer: null };
      this.lines.set(caption.utterance, line);
      this.regionEl.append(node);
    }
    line.speaker.textContent = `${caption.speaker}: `;
    line.words.textContent = text;
    line.node.dataset.final = String(Boolean(caption.final));
    line.node.dataset.participantId = String(caption.participant);
    clearTimeout(line.timer);
    line.timer = setTimeout(() => this.drop(caption.utterance), caption.final ? this.keepMs : this.keepMs * 2);
    while (this.lines.size > this.maxLines) this.drop(this.lines.keys().next().value);
  }

  drop(utterance) {
    const line = this.lines.get(utterance);
    if (!line) return;
    clearTimeout(line.timer);
    line.node.remove();
    this.lines.delete(utterance);
  }

  clear() {
    for (const key of [...this.lines.keys()]) this.drop(key);
  }
}
