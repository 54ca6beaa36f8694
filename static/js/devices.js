// The person's own camera, microphone and screen: which tracks are live, and switching them.
// No DOM here: room.js shows the outcome (controls, preview, own tile) and tells the others.
import { getCamera, getLocalMedia, getScreen } from "./media.js";

export class LocalDevices {
  /** @param {function(): (import("./media.js").Publisher|null)} publisher  the current publish connection */
  constructor(publisher) {
    this.publisher = publisher;
    this.audio = null;
    this.video = null;
    this.screen = null;
    this.micOn = true;
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

  /** Ask for camera and microphone; returns the notes to show under the preview. */
  async prepare() {
    const { audio, video, notes } = await getLocalMedia();
    this.audio = audio;
    this.video = video;
    this.micOn = true;
    return notes;
  }

  /** Mute or unmute; ask for the microphone again if there is no live track. Returns an error text or "". */
  async toggleMic() {
    if (!this.audio || this.audio.readyState !== "live") {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        this.audio = stream.getAudioTracks()[0];
        this.micOn = true;
        const publisher = this.publisher();
        if (publisher) await publisher.replaceAudio(this.audio);
      } catch (err) {
        return `Your microphone could not be used: ${err.message || err.name}.`;
      }
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
    const { track, error } = await getCamera();
    if (!track) return error;
    this.video = track;
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
