// Room page: preview, join, the meeting itself. Wires signaling.js, media.js and ui.js together.
import { getCamera, getLocalMedia, getScreen, Publisher, Subscriber } from "./media.js";
import { Signaling } from "./signaling.js";
import { Captions, Chat, Grid, Roster, Status } from "./ui.js";

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
const chatForm = $("chat-form");
const chatInput = $("chat-input");

const local = { audio: null, video: null, screen: null, micOn: true };
let mediaReady = null; // promise of the first getLocalMedia()
let signaling = null;
let publisher = null;
let subscriber = null;
let self = null; // ParticipantInfo from `joined`
let locked = false;
let phase = "lobby"; // lobby | joining | joined | reconnecting | ended
const participants = new Map(); // id -> ParticipantInfo
let mediaRetries = 0; // rejoins after `media-unavailable`, reset once media flows
let mediaRetryTimer = null;
let iceServers = config.iceServers || [];

const grid = new Grid($("grid"), {
  onNeedKeyframe: (id) => {
    log({ keyframeRequest: id });
    send({ type: "keyframe", participant: id });
  },
  onFirstFrame: (id, kind) => {
    const key = `${id}:${kind}`;
    if (!(key in meet.firstFrameAt)) meet.firstFrameAt[key] = performance.now();
    log({ firstFrame: key });
  },
});
const roster = new Roster($("participants"), $("participant-count"), {
  isHost: Boolean(config.isHost),
  onModerate: (action, participant) => send({ type: "moderate", action, participant }),
});
const chat = new Chat($("chat-log"));
const captions = new Captions($("captions"), $("toggle-captions"));

// Tests and debugging reach the live objects here.
const meet = {
  config,
  events: [],
  firstFrameAt: {}, // "participantId:kind" -> performance.now() of its first remote frame
  captionLog: [], // the last caption messages received, for tests
  joinClickedAt: null,
  get subscribeTracks() {
    return subscriber ? subscriber.tracks : {};
  },
  get publishPc() {
    return publisher ? publisher.pc : null;
  },
  get subscribePc() {
    return subscriber ? subscriber.pc : null;
  },
  get self() {
    return self;
  },
  get participants() {
    return [...participants.values()];
  },
  get phase() {
    return phase;
  },
  get signaling() {
    return signaling;
  },
  local,
};
window.__meet = meet;
meet.receive = (msg) => onMessage(msg); // lets tests and the console replay a server message

function send(message) {
  return signaling ? signaling.send(message) : false;
}

function log(event) {
  meet.events.push({ t: performance.now(), ...event });
  if (meet.events.length > 200) meet.events.shift();
}

// ---------------------------------------------------------------- local media

function micEnabled() {
  return Boolean(local.audio && local.micOn && local.audio.readyState === "live");
}

function cameraEnabled() {
  return Boolean(local.video && local.video.readyState === "live");
}

function showPreview() {
  preview.srcObject = local.video ? new MediaStream([local.video]) : null;
  lobby.classList.toggle("no-video", !local.video);
}

async function prepareMedia() {
  status.show("Checking your camera and microphone…");
  const { audio, video, notes } = await getLocalMedia();
  local.audio = audio;
  local.video = video;
  local.micOn = true;
  showPreview();
  $("preview-note").textContent = notes.join(" ");
  if (phase === "lobby") status.show(audio || video ? "Ready to join." : "Ready to join without camera or microphone.");
  updateControls();
}

function sendMediaState() {
  const state = { audio: micEnabled(), video: cameraEnabled(), screen: Boolean(local.screen) };
  if (self) Object.assign(self, state);
  send({ type: "media-state", ...state });
  grid.setSelf({ name: config.displayName, track: local.video, state });
  if (self) roster.render(self, participants);
}

function updateControls() {
  const mic = micEnabled();
  // The labels say what a press does; data-off only colours the button.
  micButton.textContent = mic ? "Mute microphone" : "Unmute microphone";
  micButton.dataset.off = String(!mic);
  camButton.textContent = cameraEnabled() ? "Turn camera off" : "Turn camera on";
  camButton.dataset.off = String(!cameraEnabled());
  screenButton.textContent = local.screen ? "Stop sharing" : "Share screen";
  screenButton.dataset.active = String(Boolean(local.screen));
  lockButton.hidden = !config.isHost;
  lockButton.textContent = locked ? "Unlock room" : "Lock room";
  $("locked-note").hidden = !locked;
}

async function toggleMic() {
  if (!local.audio || local.audio.readyState !== "live") {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      local.audio = stream.getAudioTracks()[0];
      local.micOn = true;
      if (publisher) await publisher.replaceAudio(local.audio);
    } catch (err) {
      status.alert(`Your microphone could not be used: ${err.message || err.name}.`);
      return;
    }
  } else {
    local.micOn = !local.micOn;
    local.audio.enabled = local.micOn;
  }
  updateControls();
  sendMediaState();
}

function muteMic() {
  if (local.audio) local.audio.enabled = false;
  local.micOn = false;
  updateControls();
  sendMediaState();
}

async function toggleCamera() {
  camButton.disabled = true;
  try {
    if (cameraEnabled()) {
      // Stop the track so the camera light goes off; the transceiver stays for later.
      local.video.stop();
      local.video = null;
      if (publisher) await publisher.replaceVideo(null);
    } else {
      const { track, error } = await getCamera();
      if (!track) {
        status.alert(error);
        return;
      }
      local.video = track;
      if (publisher) await publisher.replaceVideo(track);
    }
    showPreview();
    updateControls();
    sendMediaState();
  } finally {
    camButton.disabled = false;
  }
}

async function stopScreen() {
  if (!local.screen) return;
  local.screen.stop();
  local.screen = null;
  if (publisher) await publisher.replaceScreen(null);
  grid.setSelfScreen(null);
  updateControls();
  sendMediaState();
}

async function toggleScreen() {
  if (local.screen) return stopScreen();
  const { track, error } = await getScreen();
  if (!track) {
    if (error) status.alert(error);
    return;
  }
  local.screen = track;
  track.addEventListener("ended", () => {
    if (local.screen === track) stopScreen();
  });
  if (publisher) await publisher.replaceScreen(track);
  grid.setSelfScreen(track, config.displayName);
  updateControls();
  sendMediaState();
}

function stopLocalMedia() {
  for (const key of ["audio", "video", "screen"]) {
    if (local[key]) local[key].stop();
    local[key] = null;
  }
  grid.setSelfScreen(null);
}

// ---------------------------------------------------------------- peers

function closePeers() {
  if (publisher) publisher.close();
  if (subscriber) subscriber.close();
  publisher = null;
  subscriber = null;
}

/** Forget the meeting's remote side: peers, roster, tiles, captions. */
function teardownPeers() {
  closePeers();
  participants.clear();
  grid.clearRemote();
  captions.clear();
}

function onPeerState(name, state) {
  log({ pc: name, state });
  if (state === "connected" && phase === "joined") {
    if (name === "publish") mediaRetries = 0;
    showConnected();
  } else if (state === "disconnected") status.show("The media connection is unstable. Trying to recover…", "warn");
  else if (state === "failed" && phase === "joined") {
    status.show("The media connection failed. Reconnecting…", "warn");
    signaling.restart();
  }
}

function showConnected() {
  const others = participants.size;
  const who = others === 0 ? "You are the only one here." : others === 1 ? "1 other person is here." : `${others} other people are here.`;
  status.show(`Connected. ${who}`, "ok");
}

async function startPeers(servers) {
  closePeers();
  publisher = new Publisher({ iceServers: servers, send, onStateChange: (s) => onPeerState("publish", s) });
  subscriber = new Subscriber({
    iceServers: servers,
    send,
    onStateChange: (s) => onPeerState("subscribe", s),
    onTracks: (list) => {
      const summary = list.map((t) => `${t.participant}:${t.kind}`).join(" ");
      if (summary !== meet.lastTracks) log({ tracks: summary });
      meet.lastTracks = summary;
      grid.attach(list, participants);
    },
    onError: (err) => status.alert(`Could not receive the others' audio and video (${err.message || err}).`),
  });
  if (local.audio) local.audio.enabled = local.micOn;
  await publisher.start({ audio: local.audio, video: local.video });
  if (local.screen) await publisher.replaceScreen(local.screen);
}

// ---------------------------------------------------------------- signaling

const handlers = {
  async joined(msg) {
    self = { ...msg.participant };
    phase = "joined";
    log({ joined: self.id });
    locked = Boolean(msg.locked);
    teardownPeers(); // a rejoin starts from the server's picture, not ours
    for (const p of msg.participants || []) participants.set(p.id, { ...p });
    lobby.hidden = true;
    meetingEl.hidden = false;
    chat.clear();
    for (const m of msg.chat || []) chat.add(m);
    for (const p of participants.values()) grid.upsert(p);
    updateControls();
    showConnected();
    sendMediaState(); // also draws our own tile and the roster
    iceServers = msg.ice_servers && msg.ice_servers.length ? msg.ice_servers : config.iceServers || [];
    if (msg.media === false) return handlers["media-unavailable"]({ message: msg.media_message });
    try {
      await startPeers(iceServers);
    } catch (err) {
      // A peer closed meanwhile (media-unavailable, a rejoin) is not worth a message.
      if (publisher) status.alert(`Could not start audio and video: ${err.message || err}`);
    }
  },
  "participant-joined"(msg) {
    const p = { ...msg.participant };
    if (self && p.id === self.id) return;
    participants.set(p.id, p);
    grid.upsert(p);
    roster.render(self, participants);
    status.show(`${p.name} joined.`, "ok");
    if (subscriber) subscriber.reconcile();
  },
  "participant-left"(msg) {
    const p = participants.get(msg.participant);
    participants.delete(msg.participant);
    grid.remove(msg.participant);
    roster.render(self, participants);
    if (p) status.show(msg.reason === "removed" ? `${p.name} was removed by the host.` : `${p.name} left.`);
  },
  "media-state"(msg) {
    const p = participants.get(msg.participant);
    if (!p) return;
    Object.assign(p, { audio: msg.audio, video: msg.video, screen: msg.screen });
    grid.upsert(p);
    roster.render(self, participants);
    if (subscriber) subscriber.reconcile();
  },
  "publish-answer"(msg) {
    log({ publishAnswer: true });
    if (publisher) publisher.answer(msg.sdp).catch((err) => status.alert(`Could not send your audio and video (${err.message}).`));
  },
  "subscribe-offer"(msg) {
    log({ offer: Object.keys(msg.tracks || {}).length });
    if (subscriber) subscriber.offer(msg.sdp, msg.tracks);
  },
  ice(msg) {
    const target = msg.pc === "publish" ? publisher : subscriber;
    if (target) target.addIce(msg.candidate).catch((err) => console.warn("ICE candidate refused", err));
  },
  chat(msg) {
    chat.add(msg.message);
  },
  "room-state"(msg) {
    locked = Boolean(msg.locked);
    updateControls();
    status.show(locked ? "The room is now locked: nobody else can join." : "The room is unlocked.");
  },
  "muted-by-host"(msg) {
    muteMic();
    status.alert(`${msg.by} muted your microphone. Select “Unmute microphone” when you want to speak.`);
  },
  caption(msg) {
    meet.captionLog.push(msg);
    if (meet.captionLog.length > 200) meet.captionLog.shift();
    captions.show(msg);
  },
  error(msg) {
    log({ error: msg.code });
    // Media refused while we already know there is no media server: the earlier words stand.
    if (msg.code === "media-unavailable" && !publisher) return;
    status.alert(msg.message || "The server refused a request.");
  },
  async "media-restart"(msg) {
    // The meeting moved to another SFU worker: same meeting, fresh peer connections.
    log({ mediaRestart: true });
    status.show(msg.message || "Reconnecting audio and video…", "warn");
    closePeers();
    grid.clearRemoteMedia();
    try {
      await startPeers(iceServers);
    } catch (err) {
      if (publisher) status.alert(`Could not restart audio and video: ${err.message || err}`);
    }
  },
  "media-unavailable"(msg) {
    log({ mediaUnavailable: msg.message });
    // No media server for us right now: stop the peers (their ICE would only be refused) and
    // rejoin after a pause, a few times, in case a worker comes back. Chat keeps working.
    closePeers();
    grid.clearRemoteMedia();
    const base = msg.message || "Audio and video are not available right now.";
    if (mediaRetries < 3) {
      mediaRetries += 1;
      status.alert(`${base} Chat still works. Trying again in 10 s…`);
      clearTimeout(mediaRetryTimer);
      mediaRetryTimer = setTimeout(() => {
        if (signaling && phase === "joined") signaling.restart();
      }, 10000);
    } else {
      status.alert(`${base} Chat still works. Leave and join again later to retry.`);
    }
  },
};

function onMessage(msg) {
  const handler = handlers[msg.type];
  if (handler) Promise.resolve(handler(msg)).catch((err) => console.error(msg.type, err));
}

function onReconnecting({ code, message, delay }) {
  log({ reconnecting: code, delay });
  phase = "reconnecting";
  teardownPeers();
  const seconds = Math.max(1, Math.round(delay / 1000));
  status.show(`${message ? message + " " : "The connection was lost. "}Reconnecting in ${seconds} s…`, "warn");
}

function onClosed({ message }) {
  clearTimeout(mediaRetryTimer);
  phase = "ended";
  teardownPeers();
  self = null;
  meetingEl.hidden = true;
  lobby.hidden = false;
  joinButton.disabled = false;
  status.show(message, "error");
  status.alert(message);
}

/** After a refused WebSocket handshake: does the room page itself still let us in? */
async function whyRefused() {
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    const response = await fetch(window.location.pathname, {
      redirect: "manual",
      credentials: "same-origin",
      signal: controller.signal,
    });
    clearTimeout(timer);
    if (response.type === "opaqueredirect") return "Your session has ended. Reload the page to sign in or enter your name again.";
    if (response.status === 403) return "You are not allowed to join this room.";
    if (response.status === 404) return "This room does not exist, or you are not allowed to join it.";
  } catch {
    /* the server is unreachable: keep retrying */
  }
  return null;
}

async function join() {
  joinButton.disabled = true;
  phase = "joining";
  meet.joinClickedAt = performance.now();
  meet.firstFrameAt = {};
  status.clearAlert();
  // Wait for the device prompt, but not forever: joining without media is allowed.
  await Promise.race([mediaReady, new Promise((resolve) => setTimeout(resolve, 15000))]);
  if (!local.audio && !local.video && phase === "joining" && meet.leftOnce) await prepareMedia();
  status.show("Connecting…");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  signaling = new Signaling(`${scheme}//${window.location.host}${config.wsPath}`, {
    onOpen: () => {
      log({ ws: "open" });
      status.show("Connected to the server. Joining…");
      send({ type: "join" });
    },
    onMessage,
    onReconnecting,
    onClosed,
    whyRefused,
  });
  signaling.start();
}

function leave() {
  clearTimeout(mediaRetryTimer);
  send({ type: "leave" });
  if (signaling) signaling.stop();
  signaling = null;
  teardownPeers();
  stopLocalMedia();
  self = null;
  phase = "lobby";
  meet.leftOnce = true;
  $("after-leave").hidden = false;
  meetingEl.hidden = true;
  lobby.hidden = false;
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
lockButton.addEventListener("click", () => send({ type: "moderate", action: locked ? "unlock" : "lock" }));
screenButton.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

chatForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = chatInput.value.trim();
  if (!text) return;
  if (text.length > (config.chatMaxLength || 2000)) {
    status.alert("That message is too long.");
    return;
  }
  if (!send({ type: "chat", text })) {
    status.alert("Not connected right now: your message was not sent.");
    return;
  }
  chatInput.value = "";
});

window.addEventListener("pagehide", () => {
  if (signaling) {
    send({ type: "leave" });
    signaling.stop();
  }
});

mediaReady = prepareMedia();
