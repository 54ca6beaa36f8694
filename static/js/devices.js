// The person's own camera, microphone and screen: which tracks are live, and switching them;
// the chosen devices and "join muted / camera off", remembered per browser (localStorage).
// No DOM here but the camera button's busy state: room.js shows the outcome (controls, preview,
// own tile) and tells the others.
import { getCamera, getLocalMedia, getMicrophone, getScreen } from "./media.js";
import { hostMuted } from "./moderation.js";

const STORE = "meet-devices";
const DEFAULTS = { camera: "", microphone: "", speaker: "", joinMuted: false, joinCameraOff: false };

function loadChoices() {
  try {
    return { ...DEFAULTS, ...JSON.parse(window.localStorage.getItem(STORE) || "{}") };
  } catch {
    return { ...DEFAULTS }; // storage blocked or a bad value: the defaults
  }
}

/** The device a live track comes from ("" when unknown). */
export function deviceOf(track) {
  return (track && track.getSettings && track.getSettings().deviceId) || "";
}

export class LocalDevices {
  /**
   * @param {function(): (import("./media.js").Publisher|null)} publisher  the current publish connection
   * @param {function(string): void} onLost  a device was unplugged (its track ended): "audio" | "video"
   */
  constructor(publisher, onLost = () => {}) {
    this.publisher = publisher;
    this.onLost = onLost;
    this.audio = null;
    this.video = null;
    this.screen = null;
    this.micOn = true;
    this.choices = loadChoices();
  }

  /** Remember a choice (camera, microphone, speaker, joinMuted, joinCameraOff) for next time. */
  choose(key, value) {
    this.choices[key] = value;
    try {
      window.localStorage.setItem(STORE, JSON.stringify(this.choices));
    } catch {
      /* storage blocked: the choice holds for this page only */
    }
  }

  /** Follow a new track: when its device goes away, say so (once, and not after we stopped it). */
  adopt(kind, track) {
    if (track) track.addEventListener("ended", () => this[kind] === track && this.onLost(kind));
    return track;
  }

  get micEnabled() {
    return Boolean(this.audio && this.micOn && this.audio.readyState === "live");
  }

  get cameraEnabled() {
    return Boolean(this.video && this.video.readyState === "live");
  }

  /** What the others are told in `media-state`. */
  get state() {
    return { audio: this.micEnabled, video: this.cameraEnabled, screen: Boolean(this.screen) };
  }

  /** Ask for camera and microphone as chosen; returns the notes to show under the preview. */
  async prepare() {
    const { camera, microphone, joinMuted, joinCameraOff } = this.choices;
    const { audio, video, notes } = await getLocalMedia({ audioId: microphone, videoId: camera, video: !joinCameraOff });
    this.audio = this.adopt("audio", audio);
    this.video = this.adopt("video", video);
    this.micOn = !joinMuted;
    if (audio) audio.enabled = this.micOn;
    if (audio && microphone && deviceOf(audio) !== microphone) notes.push("The microphone you chose is not connected: using the default one.");
    if (video && camera && deviceOf(video) !== camera) notes.push("The camera you chose is not connected: using the default one.");
    return notes;
  }

  /** Switch to another microphone (the publish connection keeps its transceiver: no new offer). */
  async useMicrophone(deviceId) {
    this.choose("microphone", deviceId);
    if (!this.audio || this.audio.readyState !== "live" || deviceOf(this.audio) === deviceId) return "";
    const { track, error } = await getMicrophone(deviceId);
    if (!track) return error;
    const old = this.audio;
    track.enabled = this.micOn;
    this.audio = this.adopt("audio", track);
    const publisher = this.publisher();
    if (publisher) await publisher.replaceAudio(track);
    old.stop();
    return "";
  }

  /** After an unplug: the default device instead, or none. Returns the words to show. */
  async recover(kind) {
    const what = kind === "audio" ? "microphone" : "camera";
    const { track } = kind === "audio" ? await getMicrophone("") : await getCamera("");
    const publisher = this.publisher();
    const replace = (t) => (kind === "audio" ? publisher.replaceAudio(t) : publisher.replaceVideo(t));
    if (track && kind === "audio") track.enabled = this.micOn;
    this[kind] = this.adopt(kind, track);
    if (publisher) await replace(track);
    if (!track) return `Your ${what} was disconnected. Connect one, then turn it on again.`;
    return `Your ${what} was disconnected. Now using ${track.label || `the default ${what}`}.`;
  }

  /** Switch to another camera, if it is on (else the choice is used when it is turned on). */
  async useCamera(deviceId) {
    this.choose("camera", deviceId);
    if (!this.cameraEnabled || deviceOf(this.video) === deviceId) return "";
    const { track, error } = await getCamera(deviceId);
    if (!track) return error;
    const old = this.video;
    this.video = this.adopt("video", track);
    const publisher = this.publisher();
    if (publisher) await publisher.replaceVideo(track);
    old.stop();
    return "";
  }

  /** Mute or unmute; ask for the microphone again if there is no live track. Returns an error text or "". */
  async toggleMic() {
    if (!this.audio || this.audio.readyState !== "live") {
      const { track, error } = await getMicrophone(this.choices.microphone);
      if (!track) return error;
      this.audio = this.adopt("audio", track);
      this.micOn = true;
      const publisher = this.publisher();
      if (publisher) await publisher.replaceAudio(this.audio);
    } else {
      this.micOn = !this.micOn;
      this.audio.enabled = this.micOn;
    }
    return "";
  }

  mute() {
    if (this.audio) this.audio.enabled = false;
    this.micOn = false;
  }

  /** Camera off (the track stops, so the camera light goes off) or on. Returns an error text or "". */
  async toggleCamera() {
    if (this.cameraEnabled) {
      this.video.stop();
      this.video = null;
      const publisher = this.publisher();
      if (publisher) await publisher.replaceVideo(null); // the transceiver stays for later
      return "";
    }
    const { track, error } = await getCamera(this.choices.camera);
    if (!track) return error;
    this.video = this.adopt("video", track);
    const publisher = this.publisher();
    if (publisher) await publisher.replaceVideo(track);
    return "";
  }

  /** Share a screen; `onEnded` runs if the browser's own "Stop sharing" ends it. Returns an error text,
   * "" when sharing started or the person cancelled (check `this.screen`). */
  async startScreen(onEnded) {
    const { track, error } = await getScreen();
    if (!track) return error;
    this.screen = track;
    track.addEventListener("ended", () => {
      if (this.screen === track) onEnded();
    });
    const publisher = this.publisher();
    if (publisher) await publisher.replaceScreen(track);
    return "";
  }

  /** Stop sharing; false if nothing was shared. */
  async stopScreen() {
    if (!this.screen) return false;
    this.screen.stop();
    this.screen = null;
    const publisher = this.publisher();
    if (publisher) await publisher.replaceScreen(null);
    return true;
  }

  stopAll() {
    for (const key of ["audio", "video", "screen"]) {
      if (this[key]) this[key].stop();
      this[key] = null;
    }
  }
}

/**
 * The microphone, camera and screen buttons' actions (the page shows the outcome in `changed`).
 * @param {{local: LocalDevices, session: object, status: object, send: function, grid: object,
 *          config: object, camButton: HTMLElement, showPreview: function, changed: function}} page
 */
export function mediaToggles({ local, session, status, send, grid, config, camButton, showPreview, changed }) {
  async function toggleMic() {
    if (!local.micEnabled && hostMuted(session)) {
      if (send({ type: "ask-unmute" })) status.show("You asked the host to let you unmute.");
      return;
    }
    const error = await local.toggleMic();
    if (error) status.alert(error);
    else changed();
  }

  function muteMic() {
    local.mute();
    changed();
  }

  async function toggleCamera() {
    camButton.disabled = true;
    try {
      const error = await local.toggleCamera();
      if (error) {
        status.alert(error);
        return;
      }
      showPreview();
      changed();
    } finally {
      camButton.disabled = false;
    }
  }

  async function stopScreen() {
    if (!(await local.stopScreen())) return;
    grid.setSelfScreen(null);
    changed();
  }

  async function toggleScreen() {
    if (local.screen) return stopScreen();
    const error = await local.startScreen(stopScreen);
    if (error) status.alert(error);
    if (!local.screen) return;
    grid.setSelfScreen(local.screen, config.displayName);
    changed();
  }

  return { toggleMic, muteMic, toggleCamera, toggleScreen };
}
