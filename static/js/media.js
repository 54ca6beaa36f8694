// Local devices and the two peer connections the SFU expects:
// - publish PC: exactly three sendonly transceivers (audio, camera video, screen video);
//   tracks are swapped with replaceTrack, so camera/screen on/off never renegotiates;
// - subscribe PC: the SFU offers (again whenever someone joins or leaves), we answer.

const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } };

function describeError(err, what) {
  switch (err && err.name) {
    case "NotAllowedError":
    case "SecurityError":
      return `Access to your ${what} was refused. You can allow it in the browser's site settings.`;
    case "NotFoundError":
    case "OverconstrainedError":
      return `No ${what} was found.`;
    case "NotReadableError":
    case "AbortError":
      return `Your ${what} is in use by another application or could not be started.`;
    default:
      return `Your ${what} could not be used (${(err && err.message) || err}).`;
  }
}

/** Constraints for a chosen device (`exact`: Chromium may ignore an `ideal` one). */
function withDevice(base, deviceId) {
  return deviceId ? { ...(base === true ? {} : base), deviceId: { exact: deviceId } } : base;
}

function withoutDevice(constraints) {
  if (!constraints || constraints === true || !constraints.deviceId) return constraints;
  const { deviceId: _gone, ...rest } = constraints;
  return Object.keys(rest).length ? rest : true;
}

/** getUserMedia; a chosen device that is gone (unplugged since) falls back to the default one. */
async function askFor(constraints) {
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    if (!(err && (err.name === "OverconstrainedError" || err.name === "NotFoundError"))) throw err;
    const audio = withoutDevice(constraints.audio);
    const video = withoutDevice(constraints.video);
    if (audio === constraints.audio && video === constraints.video) throw err;
    return navigator.mediaDevices.getUserMedia({ audio, video });
  }
}

/**
 * Ask for camera and microphone (the chosen ones, where given); fall back to what is allowed.
 * @returns {Promise<{audio: MediaStreamTrack|null, video: MediaStreamTrack|null, notes: string[]}>}
 */
export async function getLocalMedia({ audioId = "", videoId = "", audio: wantAudio = true, video: wantVideo = true } = {}) {
  const audioC = wantAudio ? withDevice(true, audioId) : false;
  const videoC = wantVideo ? withDevice(CAMERA, videoId) : false;
  const notes = [];
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    notes.push("This browser cannot use a camera or microphone here (a secure https address is needed).");
    return { audio: null, video: null, notes };
  }
  try {
    if (!audioC && !videoC) return { audio: null, video: null, notes };
    const stream = await askFor({ audio: audioC, video: videoC });
    return { audio: stream.getAudioTracks()[0] || null, video: stream.getVideoTracks()[0] || null, notes };
  } catch (err) {
    // Ask separately: one refused or missing device must not cost the other.
    console.info("camera+microphone refused together, asking separately", err && err.name);
  }
  let audio = null;
  let video = null;
  if (audioC) {
    try {
      audio = (await askFor({ audio: audioC })).getAudioTracks()[0] || null;
    } catch (err) {
      notes.push(describeError(err, "microphone"));
    }
  }
  if (videoC) {
    try {
      video = (await askFor({ video: videoC })).getVideoTracks()[0] || null;
    } catch (err) {
      notes.push(describeError(err, "camera") + " You will join with audio only.");
    }
  }
  return { audio, video, notes };
}

export async function getMicrophone(deviceId = "") {
  try {
    const stream = await askFor({ audio: withDevice(true, deviceId) });
    return { track: stream.getAudioTracks()[0], error: "" };
  } catch (err) {
    return { track: null, error: describeError(err, "microphone") };
  }
}

export async function getCamera(deviceId = "") {
  try {
    const stream = await askFor({ video: withDevice(CAMERA, deviceId) });
    return { track: stream.getVideoTracks()[0], error: "" };
  } catch (err) {
    return { track: null, error: describeError(err, "camera") };
  }
}

export async function getScreen() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
    return { track: null, error: "This browser cannot share the screen." };
  }
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 15 } }, audio: false });
    return { track: stream.getVideoTracks()[0], error: "" };
  } catch (err) {
    if (err && err.name === "NotAllowedError") return { track: null, error: "" }; // the person cancelled
    return { track: null, error: describeError(err, "screen") };
  }
}

function candidateJson(candidate) {
  if (!candidate) return null;
  return { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
}

/** The publish connection: our audio, camera and screen go to the SFU. */
export class Publisher {
  constructor({ iceServers, iceTransportPolicy = "all", send, onStateChange }) {
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy, bundlePolicy: "max-bundle" });
    // A connection closed while an offer was being made must not talk to the server any more.
    this.send = (message) => this.pc.signalingState !== "closed" && send(message);
    this.stream = new MediaStream();
    this.pc.addEventListener("icecandidate", (e) =>
      this.send({ type: "ice", pc: "publish", candidate: candidateJson(e.candidate) }),
    );
    this.pc.addEventListener("connectionstatechange", () => onStateChange(this.pc.connectionState));
    this.audio = null;
    this.video = null;
    this.screen = null;
  }

  /** Three sendonly transceivers in the order the SFU expects, then the offer. */
  async start({ audio, video }) {
    const streams = [this.stream];
    this.audio = this.pc.addTransceiver(audio || "audio", { direction: "sendonly", streams });
    this.video = this.addCamera(video, streams);
    this.screen = this.pc.addTransceiver("video", { direction: "sendonly", streams });
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.send({ type: "publish-offer", sdp: this.pc.localDescription.sdp });
  }

  /** The camera, asked for three VP8 temporal layers (L1T3) where the browser can: the SFU then
   * halves or quarters the frame rate for a subscriber whose link cannot carry it all. */
  addCamera(video, streams) {
    try {
      return this.pc.addTransceiver(video || "video", {
        direction: "sendonly",
        streams,
        sendEncodings: [{ scalabilityMode: "L1T3" }],
      });
    } catch (err) {
      console.warn("L1T3 refused; one temporal layer", err);
      return this.pc.addTransceiver(video || "video", { direction: "sendonly", streams });
    }
  }

  async answer(sdp) {
    if (this.pc.signalingState !== "have-local-offer") return;
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }

  async addIce(candidate) {
    await this.pc.addIceCandidate(candidate || null);
  }

  replaceAudio(track) {
    return this.audio ? this.audio.sender.replaceTrack(track) : Promise.resolve();
  }

  replaceVideo(track) {
    return this.video ? this.video.sender.replaceTrack(track) : Promise.resolve();
  }

  replaceScreen(track) {
    return this.screen ? this.screen.sender.replaceTrack(track) : Promise.resolve();
  }

  close() {
    this.pc.close();
  }
}

/** The subscribe connection: everyone else's media, described by the SFU's `tracks` map. */
export class Subscriber {
  constructor({ iceServers, iceTransportPolicy = "all", send, onTracks, onStateChange, onError }) {
    this.onTracks = onTracks;
    this.onError = onError;
    this.tracks = {};
    this.queue = Promise.resolve();
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy, bundlePolicy: "max-bundle" });
    this.send = (message) => this.pc.signalingState !== "closed" && send(message);
    this.pc.addEventListener("icecandidate", (e) =>
      this.send({ type: "ice", pc: "subscribe", candidate: candidateJson(e.candidate) }),
    );
    this.pc.addEventListener("connectionstatechange", () => onStateChange(this.pc.connectionState));
    // A transceiver can get its track after the offer was handled; reconcile again then.
    this.pc.addEventListener("track", (e) => {
      e.track.addEventListener("unmute", () => this.reconcile());
      this.reconcile();
    });
  }

  /** Offers are handled one at a time, in arrival order. */
  offer(sdp, tracks) {
    this.queue = this.queue
      .then(async () => {
        if (this.pc.signalingState === "closed") return;
        this.tracks = tracks || {};
        await this.pc.setRemoteDescription({ type: "offer", sdp });
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        this.send({ type: "subscribe-answer", sdp: this.pc.localDescription.sdp });
        this.reconcile();
      })
      .catch((err) => {
        if (this.pc.signalingState === "closed") return; // replaced meanwhile: nothing to report
        console.error("subscribe offer failed", err);
        this.onError(err);
      });
    return this.queue;
  }

  async addIce(candidate) {
    await this.queue;
    await this.pc.addIceCandidate(candidate || null);
  }

  /** Map every live transceiver to (participant, kind, track) and hand the list to the UI. */
  reconcile() {
    const list = [];
    for (const t of this.pc.getTransceivers()) {
      if (!t.mid || t.stopped || !t.receiver.track) continue;
      const info = this.tracks[t.mid];
      if (!info) continue;
      if (t.currentDirection === "inactive" || t.currentDirection === "sendonly") continue;
      list.push({ mid: t.mid, participant: info.participant, kind: info.kind, track: t.receiver.track });
    }
    this.onTracks(list);
  }

  close() {
    this.pc.close();
  }
}
