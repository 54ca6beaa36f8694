// The meeting's view objects (ui.js, tiles.js, hands.js, speaking.js) and how they follow each
// other: who speaks marks tiles and roster and moves the speaker layout; hands mark the queue,
// the roster and the tiles. room.js feeds them from signaling.
import { HandQueue, Reactions } from "./hands.js";
import { HostPanel } from "./moderation.js";
import { ConnectionQuality } from "./quality.js";
import { AudioLevels } from "./speaking.js";
import { Grid } from "./tiles.js";
import { Captions, Chat, Roster } from "./ui.js";
import { VisibilityReporter } from "./visibility.js";

/**
 * @param {{$: function, config: object, session: object, status: object, send: function,
 *          log: function, probe: object, onHandsChanged: function}} page
 */
export function createView({ $, config, session, status, send, log, probe, onHandsChanged }) {
  // The SFU forwards only the videos whose tiles are on screen (after every layout, and as they
  // scroll in and out of view).
  const visibility = new VisibilityReporter({ session, send, log });
  const grid = new Grid($("grid"), {
    onLayout: (choice) => {
      $("meeting").dataset.layout = choice.main ? "stage" : "grid";
      visibility.track(grid.tiles.values());
    },
    onNeedKeyframe: (id) => {
      log({ keyframeRequest: id });
      send({ type: "keyframe", participant: id });
    },
    onFirstFrame: (id, kind) => {
      const key = `${id}:${kind}`;
      if (!(key in probe.firstFrameAt)) probe.firstFrameAt[key] = performance.now();
      log({ firstFrame: key });
    },
  });
  const roster = new Roster($("participants"), $("participant-count"), {
    isHost: Boolean(config.isHost),
    onModerate: (action, participant) => send({ type: "moderate", action, participant }),
  });
  const hostPanel = new HostPanel($("host-panel"), {
    onModerate: (action, participant) => send({ type: "moderate", action, participant }),
  });
  const chat = new Chat($("chat-log"));
  const hands = new HandQueue($("hands"), {
    isHost: Boolean(config.isHost),
    onLower: (participant) => send({ type: "hand", raised: false, participant }),
  });
  const reactions = new Reactions($("reactions"), (words) => status.show(words));
  // Who is speaking: a ring on their tile, "speaking" in the roster; the speaker layout follows.
  const levels = new AudioLevels({
    onChange: (speaking, active) => {
      for (const tile of grid.tiles.values()) if (tile.kind === "camera") tile.setSpeaking(speaking.has(String(tile.id)));
      if (session.self) session.self.speaking = speaking.has("self");
      for (const p of session.participants.values()) p.speaking = speaking.has(String(p.id));
      if (session.self) roster.render(session.self, session.participants);
      grid.setActiveSpeaker(active === null ? null : Number(active));
    },
  });
  const phone = window.matchMedia("(max-width: 40rem)");
  grid.maxGrid = phone.matches ? 6 : 16;
  phone.addEventListener("change", () => {
    grid.maxGrid = phone.matches ? 6 : 16;
    grid.layout();
  });
  const captions = new Captions($("captions"), $("toggle-captions"), $("captions-log"));
  // Per tile from getStats; for ourselves, a line under the header while our sending suffers.
  const quality = new ConnectionQuality({
    session,
    grid,
    forwarded: (id) => visibility.forwarded(id),
    onSelf: (unstable, words) => {
      $("self-quality").hidden = !unstable;
      $("self-quality").textContent = unstable ? `Your connection is unstable (${words.replace("Poor connection: ", "")}).` : "";
    },
  });

  /** After a hand went up or down: the queue, the roster, the tiles' badges and our hand button. */
  function refreshHands() {
    if (!session.self) return;
    roster.render(session.self, session.participants);
    hands.render([{ ...session.self, self: true }, ...session.participants.values()]);
    for (const p of session.participants.values()) {
      const tile = grid.tile(p.id, "camera");
      if (tile) tile.setHand(Boolean(p.hand_raised_at));
    }
    const selfTile = grid.tile("self", "camera");
    if (selfTile) selfTile.setHand(Boolean(session.self.hand_raised_at));
    onHandsChanged();
  }

  /** The parts of the controls this view decides: the hand button and the layout toggle. */
  function updateControls() {
    const raised = Boolean(session.self && session.self.hand_raised_at);
    $("toggle-hand").textContent = raised ? "Lower hand" : "Raise hand";
    $("toggle-hand").dataset.active = String(raised);
    $("toggle-layout").setAttribute("aria-pressed", String(grid.mode === "speaker"));
  }

  return { grid, visibility, roster, hostPanel, chat, hands, reactions, levels, captions, quality, refreshHands, updateControls };
}
