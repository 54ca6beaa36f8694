// Connection quality from getStats, every 2 s: per tile from what we receive of that person
// (packet loss, frames per second) and our round-trip time to the media server; for ourselves
// from what the server reports of our sending (its receiver reports: loss, round-trip time).

const POOR_LOSS = 0.05; // 5 % of packets lost in the last interval
const POOR_RTT = 0.4; // seconds
const POOR_FPS = 8; // a camera that is on, showing fewer frames per second than this
const POOR_AFTER = 3; // samples in a row (6 s) before "poor" shows: one slow moment is no news
const GOOD_AFTER = 2; // and in a row before it goes again

/** "good" | "poor", and the words that say why (for the badge and the roster). */
export function classify({ loss = 0, rtt = 0, fps = null, videoOn = false }) {
  const why = [];
  if (loss > POOR_LOSS) why.push(`${Math.round(loss * 100)} % packets lost`);
  if (rtt > POOR_RTT) why.push(`${Math.round(rtt * 1000)} ms delay`);
  if (videoOn && fps !== null && fps < POOR_FPS) why.push(`${Math.round(fps)} frames per second`);
  return { quality: why.length ? "poor" : "good", words: why.length ? `Poor connection: ${why.join(", ")}` : "" };
}

function selectedRtt(stats) {
  let rtt = 0;
  stats.forEach((r) => {
    if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded" && r.currentRoundTripTime) {
      rtt = Math.max(rtt, r.currentRoundTripTime);
    }
  });
  return rtt;
}

export class ConnectionQuality {
  /**
   * @param {{session: object, grid: object, onSelf: function(boolean, string), interval?: number,
   *          forwarded?: function(number): boolean}} options
   *   onSelf(unstable, words): our own sending is (or is no longer) in trouble
   *   forwarded(id): the SFU sends us id's video (a tile out of view gets none: no frames is no news)
   */
  constructor({ session, grid, onSelf, interval = 2000, forwarded = () => true }) {
    this.session = session;
    this.forwarded = forwarded;
    this.grid = grid;
    this.onSelf = onSelf;
    this.interval = interval;
    this.last = new Map(); // inbound stream id -> {lost, received}
    this.selfUnstable = false;
    this.timer = null;
    this.latest = {}; // participant id -> {quality, words, loss, fps, rtt}: for tests and the roster
    this.streaks = new Map(); // participant id or "self" -> {shown, poor, good}
  }

  /** The verdict to show for `key`, after the streak rule (POOR_AFTER / GOOD_AFTER). */
  steady(key, verdict) {
    const s = this.streaks.get(key) || { shown: "good", poor: 0, good: 0, words: "" };
    if (verdict.quality === "poor") {
      s.poor += 1;
      s.good = 0;
      s.words = verdict.words;
      if (s.poor >= POOR_AFTER) s.shown = "poor";
    } else {
      s.good += 1;
      s.poor = 0;
      if (s.good >= GOOD_AFTER) s.shown = "good";
    }
    this.streaks.set(key, s);
    return { quality: s.shown, words: s.shown === "poor" ? s.words : "" };
  }

  start() {
    if (!this.timer) this.timer = setInterval(() => this.sample().catch(() => {}), this.interval);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.last.clear();
    this.streaks.clear();
    this.setSelf(false, "");
  }

  /** Loss over the last interval of one inbound or remote-inbound stream. */
  lossOf(id, lost, received) {
    const before = this.last.get(id) || { lost: 0, received: 0 };
    this.last.set(id, { lost, received });
    const dl = Math.max(0, lost - before.lost);
    const dr = Math.max(0, received - before.received);
    return dl + dr > 0 ? dl / (dl + dr) : 0;
  }

  async sample() {
    const { subscriber, publisher, participants } = this.session;
    if (subscriber && subscriber.pc.connectionState === "connected") {
      const stats = await subscriber.pc.getStats();
      const rtt = selectedRtt(stats);
      const per = new Map(); // participant -> {loss, fps}
      stats.forEach((r) => {
        if (r.type !== "inbound-rtp") return;
        const info = subscriber.tracks[r.mid];
        if (!info || info.kind === "screen") return;
        const entry = per.get(info.participant) || { loss: 0, fps: null };
        entry.loss = Math.max(entry.loss, this.lossOf(r.id, r.packetsLost || 0, r.packetsReceived || 0));
        if (r.kind === "video") entry.fps = r.framesPerSecond ?? (r.framesDecoded ? 0 : null);
        per.set(info.participant, entry);
      });
      for (const [id, { loss, fps }] of per) {
        const p = participants.get(id);
        const verdict = classify({ loss, rtt, fps, videoOn: Boolean(p && p.video) && this.forwarded(id) });
        const shown = this.steady(id, verdict);
        this.latest[id] = { ...verdict, shown: shown.quality, loss, fps, rtt };
        const tile = this.grid.tile(id, "camera");
        if (tile) tile.setQuality(shown.quality, shown.words);
      }
    }
    if (publisher && publisher.pc.connectionState === "connected") {
      const stats = await publisher.pc.getStats();
      let loss = 0;
      let rtt = selectedRtt(stats);
      stats.forEach((r) => {
        if (r.type !== "remote-inbound-rtp") return;
        if (typeof r.fractionLost === "number") loss = Math.max(loss, r.fractionLost);
        if (r.roundTripTime) rtt = Math.max(rtt, r.roundTripTime);
      });
      const verdict = classify({ loss, rtt });
      const shown = this.steady("self", verdict);
      this.latest.self = { ...verdict, shown: shown.quality, loss, rtt };
      this.setSelf(shown.quality === "poor", shown.words);
    }
  }

  setSelf(unstable, words) {
    if (unstable === this.selfUnstable) return;
    this.selfUnstable = unstable;
    this.onSelf(unstable, words);
  }
}
