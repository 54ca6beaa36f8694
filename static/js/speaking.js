// Who is speaking, from audio levels computed in the page: one AnalyserNode per audio track
// (each received track, and our own microphone), read every 100 ms. A person speaks while their
// smoothed level stays above a threshold (with a hold, so pauses between words do not flicker);
// the active speaker is the one who spoke last for long enough, and stays until someone else does.

const SPEAKING_ON = 0.015; // RMS of a normal voice on a fake or real microphone is ~0.03-0.2
const HOLD_MS = 700; // still "speaking" this long after the level fell
const ACTIVE_AFTER_MS = 400; // speaking this long makes one the active speaker

/** RMS level (0..1) of one analyser's current window. */
function rms(analyser, buffer) {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (let i = 0; i < buffer.length; i += 1) sum += buffer[i] * buffer[i];
  return Math.sqrt(sum / buffer.length);
}

export class AudioLevels {
  /**
   * @param {{onChange: function(Set<string>, (string|null)), interval?: number}} options
   *   onChange(speaking ids, active speaker id) whenever either changes; ids are strings.
   */
  constructor({ onChange, interval = 100 }) {
    this.onChange = onChange;
    this.interval = interval;
    this.ctx = null;
    this.sources = new Map(); // id -> {track, source, analyser, buffer, level, lastLoud, since}
    this.speaking = new Set();
    this.active = null;
    this.timer = null;
    // Browsers start an AudioContext made before any click suspended: the first click or key
    // (the Join button, at the latest) lets it run.
    const wake = () => {
      if (this.ctx && this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    };
    document.addEventListener("pointerdown", wake, true);
    document.addEventListener("keydown", wake, true);
  }

  context() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      this.ctx = new Ctx();
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    return this.ctx;
  }

  /** Follow `track` as participant `id` (null stops following them). */
  watch(id, track) {
    const key = String(id);
    const current = this.sources.get(key);
    if (current && current.track === track) return;
    if (current) this.unwatch(key);
    if (!track) return;
    const ctx = this.context();
    if (!ctx) return;
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser); // not to the destination: the <audio> element plays it
    this.sources.set(key, { track, source, analyser, buffer: new Float32Array(analyser.fftSize), level: 0, lastLoud: 0, since: 0 });
    if (!this.timer) this.timer = setInterval(() => this.tick(), this.interval);
  }

  unwatch(id) {
    const key = String(id);
    const s = this.sources.get(key);
    if (!s) return;
    s.source.disconnect();
    this.sources.delete(key);
    if (this.speaking.delete(key) || this.active === key) {
      if (this.active === key) this.active = null;
      this.onChange(new Set(this.speaking), this.active);
    }
  }

  /** Keep only the ids in `keep` (the others left, or their track went away). */
  retain(keep) {
    for (const key of [...this.sources.keys()]) if (!keep.has(key)) this.unwatch(key);
  }

  /** The smoothed level of `id` (0..1), for meters. */
  level(id) {
    const s = this.sources.get(String(id));
    return s ? s.level : 0;
  }

  tick() {
    const now = performance.now();
    let changed = false;
    for (const [key, s] of this.sources) {
      const value = s.track.readyState === "live" && s.track.enabled ? rms(s.analyser, s.buffer) : 0;
      s.level = Math.max(value, s.level * 0.8); // fast attack, slow release
      if (s.level >= SPEAKING_ON) {
        if (!s.since) s.since = now;
        s.lastLoud = now;
      }
      const speaking = s.lastLoud > 0 && now - s.lastLoud < HOLD_MS;
      if (!speaking) s.since = 0;
      if (speaking !== this.speaking.has(key)) {
        if (speaking) this.speaking.add(key);
        else this.speaking.delete(key);
        changed = true;
      }
    }
    // The newest speaker who has held it long enough (an "mm" or a cough does not take the stage).
    let next = this.active;
    let newest = 0;
    for (const key of this.speaking) {
      const s = this.sources.get(key);
      if (key !== "self" && s.since && now - s.since >= ACTIVE_AFTER_MS && s.since > newest) {
        newest = s.since;
        next = key;
      }
    }
    if (next !== this.active) {
      this.active = next;
      changed = true;
    }
    if (changed) this.onChange(new Set(this.speaking), this.active);
  }

  stop() {
    for (const key of [...this.sources.keys()]) this.unwatch(key);
    clearInterval(this.timer);
    this.timer = null;
  }
}
