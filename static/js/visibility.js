// Which participants' video this page actually shows, told to the SFU as `visible`: it then
// forwards only those videos to us (audio always flows) and pauses the others without
// renegotiating. A tile counts when its video element is on screen (IntersectionObserver: a
// tile scrolled out of the strip or off the window does not); a hidden tab shows nothing.
// Sent at most every DELAY ms, only on change, and again to every new subscribe connection
// (a rejoin or a media restart: the SFU forgets it with the participant).

const DELAY = 250; // ms: a scroll or a layout change sends one message, not one per frame

export class VisibilityReporter {
  /**
   * @param {{session: object, send: function, log: function, delay?: number}} options
   * `session.subscriber` is the subscribe connection the message is for.
   */
  constructor({ session, send, log, delay = DELAY }) {
    this.session = session;
    this.send = send;
    this.log = log;
    this.delay = delay;
    this.onScreen = new Map(); // video element -> {id, shown}
    this.sentKey = null; // the last list sent, as "1,4,7"
    this.sentIds = new Set(); // ... its ids
    this.sentTo = null; // ... to this subscriber
    this.ready = null; // the subscriber the SFU has made an offer on (it knows us there)
    this.timer = null;
    this.observer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver((entries) => this.intersections(entries), { threshold: [0] })
        : null;
    document.addEventListener("visibilitychange", () => this.schedule());
  }

  /** Follow the grid's tiles (after every layout): observe new videos, forget removed ones. */
  track(tiles) {
    const current = new Set();
    for (const tile of tiles) {
      if (tile.id === "self") continue;
      current.add(tile.video);
      if (this.onScreen.has(tile.video)) continue;
      // Without IntersectionObserver every tile counts as shown (nothing is paused wrongly).
      this.onScreen.set(tile.video, { id: tile.id, shown: !this.observer });
      if (this.observer) this.observer.observe(tile.video);
    }
    for (const video of [...this.onScreen.keys()]) {
      if (current.has(video)) continue;
      if (this.observer) this.observer.unobserve(video);
      this.onScreen.delete(video);
    }
    this.schedule();
  }

  intersections(entries) {
    for (const entry of entries) {
      const seen = this.onScreen.get(entry.target);
      // Edge-adjacent counts as intersecting: a tile just below the strip's edge shows nothing.
      if (seen) seen.shown = entry.isIntersecting && entry.intersectionRatio > 0;
    }
    this.schedule();
  }

  /** The participant ids whose camera or screen is on screen now, sorted. */
  shown() {
    if (document.hidden) return [];
    const ids = new Set();
    for (const { id, shown } of this.onScreen.values()) if (shown) ids.add(id);
    return [...ids].sort((a, b) => a - b);
  }

  /** A change may have happened: send within `delay` (one timer for any number of changes). */
  schedule() {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.delay);
  }

  /** Send the list if it changed, or if this subscribe connection has not had it yet. */
  flush() {
    const subscriber = this.session.subscriber;
    // Before the SFU's first offer on this connection it may not know us yet: subscribed() sends.
    if (!subscriber || subscriber !== this.ready) return;
    const participants = this.shown();
    const key = participants.join(",");
    if (key === this.sentKey && subscriber === this.sentTo) return;
    if (!this.send({ type: "visible", participants })) return; // socket down: sent after the rejoin
    this.sentKey = key;
    this.sentIds = new Set(participants);
    this.sentTo = subscriber;
    this.log({ visible: key });
  }

  /** Whether the SFU forwards `id`'s video to us (a new connection gets all until told). */
  forwarded(id) {
    return this.sentTo !== this.session.subscriber || this.sentIds.has(id);
  }

  /** The SFU made an offer on the current subscribe connection: it knows us, so tell it now. */
  subscribed() {
    this.ready = this.session.subscriber;
    if (this.ready !== this.sentTo) this.schedule();
  }
}
