// Room page: preview, join, the meeting itself. The wiring between the page (ui.js, tiles.js), signaling
// (signaling.js), media (media.js) and the meeting's state machine (session.js, where the states and
// their transitions are written down).
import { keepAwake } from "./controls.js";
import { LocalDevices, mediaToggles } from "./devices.js";
import { wireExtras } from "./extras.js";
import { handHandlers } from "./hands.js";
import { hostMuted, moderationHandlers } from "./moderation.js";
import { peerControl } from "./peers.js";
import { DevicePickers } from "./pickers.js";
import { MeetingSession } from "./session.js";
import { askPageWhy, Signaling } from "./signaling.js";
import { exposeTestHooks } from "./testhooks.js";
import { Status } from "./ui.js";
import { createView } from "./view.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const $ = (id) => document.getElementById(id);

const status = new Status($("status"), $("alert"));
const lobby = $("lobby");
const meetingEl = $("meeting");
const preview = $("preview");
const joinButton = $("join");
const micButton = $("toggle-mic");
const camButton = $("toggle-camera");
const screenButton = $("toggle-screen");
const lockButton = $("toggle-lock");
const leaveButton = $("leave");

const session = new MeetingSession({ iceServers: config.iceServers || [], resumeKey: `meet-resume:${config.wsPath}` });
const local = new LocalDevices(() => session.publisher, async (kind) => {
  status.alert(await local.recover(kind)); // unplugged: the default device, with a message
  showPreview();
  devicesChanged();
  pickers.refresh();
});
let mediaReady = null; // promise of the first local.prepare()
// Measurements read by the browser tests and bench/ (through window.__meet).
const probe = { firstFrameAt: {}, captionLog: [], joinClickedAt: null, lastTracks: "" };

const view = createView({ $, config, session, status, send, log, probe, onHandsChanged: () => updateControls() });
const { grid, roster, hostPanel, chat, reactions, levels, captions, quality, refreshHands } = view;
const pickers = new DevicePickers($("devices"), {
  local,
  level: () => levels.level("self"),
  onSwitched: (kind, error) => {
    if (error) status.alert(error);
    showPreview();
    if (session.inMeeting) devicesChanged();
    else levels.watch("self", local.audio);
    pickers.refresh();
  },
  onSpeaker: (sinkId) => grid.setSinkId(sinkId),
});
grid.setSinkId(local.choices.speaker || "");
const captionsStatus = $("captions-status");
let captionsStatusTimer = null;

function send(message) {
  return session.send(message);
}

function log(event) {
  session.log(event);
}

// ---------------------------------------------------------------- local media

function showPreview() {
  preview.srcObject = local.video ? new MediaStream([local.video]) : null;
  lobby.classList.toggle("no-video", !local.video);
}

async function prepareMedia() {
  status.show("Checking your camera and microphone…");
  const notes = await local.prepare();
  showPreview();
  levels.watch("self", local.audio); // the level meter
  await pickers.refresh();
  $("preview-note").textContent = notes.join(" ");
  if (session.state === "preview") {
    status.show(local.audio || local.video ? "Ready to join." : "Ready to join without camera or microphone.");
  }
  updateControls();
}

function sendMediaState() {
  const state = local.state;
  if (session.self) Object.assign(session.self, state);
  send({ type: "media-state", ...state });
  grid.setSelf({ name: config.displayName, track: local.video, state });
  levels.watch("self", local.audio);
  refreshHands();
}

function updateControls() {
  const mic = local.micEnabled;
  // The labels say what a press does; data-off only colours the button.
  micButton.textContent = mic ? "Mute microphone" : hostMuted(session) ? "Ask to unmute" : "Unmute microphone";
  micButton.dataset.off = String(!mic);
  camButton.textContent = local.cameraEnabled ? "Turn camera off" : "Turn camera on";
  camButton.dataset.off = String(!local.cameraEnabled);
  screenButton.textContent = local.screen ? "Stop sharing" : "Share screen";
  screenButton.dataset.active = String(Boolean(local.screen));
  lockButton.hidden = !config.isHost;
  view.updateControls();
  lockButton.textContent = session.locked ? "Unlock room" : "Lock room";
  $("locked-note").hidden = !session.locked;
}

/** After a change of our own devices: the controls, our tile and the others' picture of us. */
function devicesChanged() {
  updateControls();
  sendMediaState();
}

const { toggleMic, muteMic, toggleCamera, toggleScreen } = mediaToggles({
  local,
  session,
  status,
  send,
  grid,
  config,
  camButton,
  showPreview: () => showPreview(),
  changed: () => devicesChanged(),
});

function stopLocalMedia() {
  levels.unwatch("self");
  local.stopAll();
  grid.setSelfScreen(null);
}

/** The lobby or the meeting; the device pickers go along (the lobby, or the Devices dialog). */
function showMeeting(inMeeting) {
  meetingEl.dataset.reconnecting = "false";
  if (inMeeting) quality.start();
  else quality.stop();
  lobby.hidden = inMeeting;
  meetingEl.hidden = !inMeeting;
  $("show-devices").hidden = !inMeeting;
  if (!inMeeting && $("devices-dialog").open) $("devices-dialog").close();
  pickers.moveTo(inMeeting ? $("devices-slot") : $("devices-anchor"));
  keepAwake(inMeeting);
}

// ---------------------------------------------------------------- peers

/** Forget the meeting's remote side: peers, roster, tiles, captions. */
function teardownPeers() {
  session.forgetMeeting();
  grid.clearRemote();
  levels.retain(new Set(["self"]));
  captions.clear();
}

const peers = peerControl({
  session,
  status,
  send,
  log,
  config,
  local,
  onTracks: (list) => {
    const summary = list.map((t) => `${t.participant}:${t.kind}`).join(" ");
    if (summary !== probe.lastTracks) log({ tracks: summary });
    probe.lastTracks = summary;
    grid.attach(list, session.participants);
    const audio = list.filter((t) => t.kind === "audio" && session.participants.has(t.participant));
    for (const t of audio) levels.watch(t.participant, t.track);
    levels.retain(new Set(["self", ...audio.map((t) => String(t.participant))]));
  },
});
const { showConnected, startPeers } = peers;

// ---------------------------------------------------------------- signaling

// Messages that change the session's state go through session.transition(): a message the
// current state does not expect is logged and ignored. The others update the page.
const handlers = {
  async joined(msg) {
    if (!session.transition("joined")) return;
    teardownPeers(); // a rejoin starts from the server's picture, not ours
    session.adopt(msg);
    log({ joined: session.self.id });
    if (session.self.host_muted) local.mute(); // a host's mute holds across reconnects
    hostPanel.reset(msg.removed || [], msg.waiting || []);
    showMeeting(true);
    chat.clear();
    for (const m of msg.chat || []) chat.add(m);
    for (const p of session.participants.values()) grid.upsert(p);
    updateControls();
    showConnected();
    sendMediaState(); // also draws our own tile and the roster
    if (msg.media === false) {
      return handlers["media-unavailable"]({ message: msg.media_message, retry_after: msg.media_retry_after });
    }
    await startPeers("Could not start audio and video");
  },
  "participant-joined"(msg) {
    const p = { ...msg.participant };
    if (session.self && p.id === session.self.id) return;
    session.participants.set(p.id, p);
    grid.upsert(p);
    roster.render(session.self, session.participants);
    status.show(`${p.name} joined.`, "ok");
    if (session.subscriber) session.subscriber.reconcile();
  },
  "participant-left"(msg) {
    const p = session.participants.get(msg.participant);
    session.participants.delete(msg.participant);
    grid.remove(msg.participant);
    levels.unwatch(msg.participant);
    refreshHands();
    if (p) status.show(msg.reason === "removed" ? `${p.name} was removed by the host.` : `${p.name} left.`);
    if (p && msg.reason === "removed" && config.isHost) hostPanel.wasRemoved(p.id, p.name);
  },
  "media-state"(msg) {
    const p = session.participants.get(msg.participant);
    if (!p) return;
    Object.assign(p, { audio: msg.audio, video: msg.video, screen: msg.screen });
    grid.upsert(p);
    roster.render(session.self, session.participants);
    if (session.subscriber) session.subscriber.reconcile();
  },
  "link-quality"(msg) {
    // The server paused the others' video for this connection ("Video paused: poor connection").
    grid.setLinkPaused(msg.paused ? msg.message : "");
    status.show(msg.paused ? `${msg.message}. You can still hear everyone.` : "Video is back.", msg.paused ? "warn" : "ok");
  },
  "publish-answer"(msg) {
    log({ publishAnswer: true });
    const publisher = session.publisher;
    if (publisher) publisher.answer(msg.sdp).catch((err) => status.alert(`Could not send your audio and video (${err.message}).`));
  },
  "subscribe-offer"(msg) {
    log({ offer: Object.keys(msg.tracks || {}).length });
    if (session.subscriber) session.subscriber.offer(msg.sdp, msg.tracks);
    view.visibility.subscribed(); // a new subscribe connection (join, rejoin, media restart) gets `visible`
  },
  ice(msg) {
    const target = msg.pc === "publish" ? session.publisher : session.subscriber;
    if (target) target.addIce(msg.candidate).catch((err) => console.warn("ICE candidate refused", err));
  },
  chat(msg) {
    chat.add(msg.message);
  },
  "room-state"(msg) {
    session.locked = Boolean(msg.locked);
    updateControls();
    status.show(session.locked ? "The room is now locked: nobody else can join." : "The room is unlocked.");
  },
  caption(msg) {
    probe.captionLog.push(msg);
    if (probe.captionLog.length > 200) probe.captionLog.shift();
    captions.show(msg);
  },
  "captions-status"(msg) {
    // "Captions are unavailable right now." stays until "Captions are back.", which fades.
    clearTimeout(captionsStatusTimer);
    captionsStatus.textContent = msg.message;
    captionsStatus.hidden = false;
    if (msg.available) captionsStatusTimer = setTimeout(() => (captionsStatus.hidden = true), 8000);
  },
  error(msg) {
    log({ error: msg.code });
    // Without peer connections (e.g. in media-unavailable) a media refusal answers a request sent
    // before we knew: the status already says so.
    if (msg.code === "media-unavailable" && !session.hasPeers) return;
    status.alert(msg.message || "The server refused a request.");
  },
  async "media-restart"(msg) {
    // The meeting moved to another SFU worker: same meeting, fresh peer connections.
    log({ mediaRestart: true });
    if (!session.transition("media-restart")) return;
    status.show(msg.message || "Reconnecting audio and video…", "warn");
    if (msg.ice_servers && msg.ice_servers.length) session.iceServers = msg.ice_servers; // fresh TURN credentials
    session.closePeers();
    grid.clearRemoteMedia();
    await startPeers("Could not restart audio and video");
  },
  "media-unavailable"(msg) {
    log({ mediaUnavailable: msg.message });
    if (!session.transition("media-unavailable")) return;
    // No media server for us right now: stop the peers (their ICE would only be refused) and
    // rejoin after a pause, a few times, in case a worker comes back. Chat keeps working.
    session.closePeers();
    grid.clearRemoteMedia();
    const base = msg.message || "Audio and video are not available right now.";
    if (typeof msg.retry_after === "number") {
      // A circuit breaker holds media back and probes again then: ask again on the same socket
      // (same participant), however long it takes; not sooner than the server's 5 s restart limit.
      const seconds = Math.max(5, Math.ceil(msg.retry_after)) + Math.random();
      status.alert(base);
      session.scheduleMediaRetry(() => {
        if (!send({ type: "media-restart-request" })) session.signaling.restart();
      }, seconds * 1000);
    } else if (session.mediaRetries < 3) {
      session.mediaRetries += 1;
      status.alert(`${base} Chat still works. Trying again in 10 s…`);
      session.scheduleMediaRetry(() => session.signaling.restart(), 10000);
    } else {
      status.alert(`${base} Chat still works. Leave and join again later to retry.`);
    }
  },
};

Object.assign(handlers, moderationHandlers({ session, status, panel: hostPanel, muteMic, updateControls }));
Object.assign(handlers, handHandlers({ session, status, reactions, refresh: refreshHands }));

function onMessage(msg) {
  const handler = handlers[msg.type];
  if (handler) Promise.resolve(handler(msg)).catch((err) => console.error(msg.type, err));
}

function onReconnecting({ code, message, delay }) {
  log({ reconnecting: code, delay });
  if (!session.transition("reconnect")) return;
  // The page stays as it was (tiles, names, chat) under a "Reconnecting" note; media stops. The
  // next `joined` replaces the roster with the server's.
  session.closePeers();
  grid.clearRemoteMedia();
  levels.retain(new Set(["self"]));
  meetingEl.dataset.reconnecting = "true";
  const seconds = Math.max(1, Math.round(delay / 1000));
  status.show(`${message ? message + " " : "The connection was lost. "}Reconnecting in ${seconds} s…`, "warn");
}

function onClosed({ message }) {
  if (!session.transition("close")) return;
  session.forgetResume();
  teardownPeers();
  session.self = null;
  showMeeting(false);
  joinButton.disabled = false;
  status.show(message, "error");
  status.alert(message);
}

async function join() {
  if (!session.transition("join")) return;
  joinButton.disabled = true;
  probe.joinClickedAt = performance.now();
  probe.firstFrameAt = {};
  status.clearAlert();
  // Wait for the device prompt, but not forever: joining without media is allowed.
  await Promise.race([mediaReady, new Promise((resolve) => setTimeout(resolve, 15000))]);
  if (!local.audio && !local.video && session.state === "joining" && session.leftOnce) await prepareMedia();
  status.show("Connecting…");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const handlers = {
    onOpen: () => {
      log({ ws: "open" });
      status.show("Connected to the server. Joining…");
      send(session.joinMessage()); // with our resume token: the same place after a drop
    },
    onMessage,
    onReconnecting,
    onClosed,
    whyRefused: () => askPageWhy(window.location.pathname, config.protocol.closeReasons),
  };
  session.signaling = new Signaling(`${scheme}//${window.location.host}${config.wsPath}`, handlers, config.protocol);
  session.signaling.start();
}

function leave() {
  if (!session.transition("leave")) return;
  send({ type: "leave" });
  session.forgetResume();
  session.stopSignaling();
  teardownPeers();
  stopLocalMedia();
  session.self = null;
  session.leftOnce = true;
  $("after-leave").hidden = false;
  showMeeting(false);
  joinButton.disabled = false;
  showPreview();
  status.show("You left the meeting. Select “Join” to join again.");
}

// ---------------------------------------------------------------- wiring

joinButton.addEventListener("click", join);
micButton.addEventListener("click", toggleMic);
camButton.addEventListener("click", toggleCamera);
screenButton.addEventListener("click", toggleScreen);
leaveButton.addEventListener("click", leave);
lockButton.addEventListener("click", () => send({ type: "moderate", action: session.locked ? "unlock" : "lock" }));
screenButton.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

wireExtras({ $, config, session, grid, status, send, pickers, updateControls });
chat.bindForm($("chat-form"), $("chat-input"), {
  status,
  maxLength: config.chatMaxLength || 2000,
  send: (text) => {
    if (session.signaling && !session.signaling.fits({ type: "chat", text })) return "too-large";
    return send({ type: "chat", text }) ? "sent" : "offline";
  },
});

window.addEventListener("pagehide", () => {
  if (session.signaling) {
    send({ type: "leave" });
    session.stopSignaling();
  }
});

// Only the browser tests (setting CLIENT_TEST_HOOKS) reach the live objects and inject messages.
if (config.testHooks) exposeTestHooks({ config, session, local, probe, quality, receive: onMessage });

mediaReady = prepareMedia();
