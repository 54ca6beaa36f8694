// MeetingSession: the room page's state machine and the data of one person's meeting.
//
// States (`session.state`, exactly one at a time):
//   preview            the lobby before the first join: camera preview and the Join button.
//   joining            Join was pressed: waiting for the devices, the WebSocket, then `joined`.
//   joined             in the meeting: roster and chat; peer connections starting or connected.
//   media-restarting   the meeting moved to another SFU worker: same meeting, fresh peer connections.
//   media-unavailable  no media server for us: peer connections closed, chat works; a timer rejoins.
//   reconnecting       the WebSocket dropped: peers and roster dropped, signaling retries with backoff.
//   left               the person pressed Leave: the lobby again; Join starts over.
//   closed             the server ended it for good (refused, locked, removed, gave up): the lobby.
//
// Transitions, as `event: from -> to` (TRANSITIONS below is the one place they are written):
//   join               preview | left | closed -> joining             the Join button
//   joined             joining | reconnecting -> joined               the server's `joined`
//   media-restart      joined | media-restarting | media-unavailable -> media-restarting
//   media-connected    media-restarting -> joined                     a new peer connection connected
//   media-unavailable  joined | media-restarting | media-unavailable -> media-unavailable
//   reconnect          joining | joined | media-* | reconnecting -> reconnecting   socket lost/restarted
//   close              joining | joined | media-* | reconnecting -> closed         a final close code
//   leave              joined | media-* | reconnecting -> left        the Leave button
// Any other (state, event) is refused: transition() logs it and returns false, and the caller
// does nothing. `media-unavailable` may follow `joined` whether the server places the meeting on
// a worker before or after `joined`: it is a transition of the joined state like any other.
//
// The session owns what used to be loose module variables: the participant (`self`, from
// `joined`), the others (`participants`), the signaling connection, the two peer connections,
// the room's lock, the media retry count and timer, and the ICE servers. The page (ui.js),
// signaling.js and media.js are wired to it by room.js.

/** state -> {event: next state}. */
export const TRANSITIONS = Object.freeze({
  preview: { join: "joining" },
  joining: { joined: "joined", reconnect: "reconnecting", close: "closed" },
  joined: {
    "media-restart": "media-restarting",
    "media-unavailable": "media-unavailable",
    reconnect: "reconnecting",
    close: "closed",
    leave: "left",
  },
  "media-restarting": {
    "media-connected": "joined",
    "media-restart": "media-restarting",
    "media-unavailable": "media-unavailable",
    reconnect: "reconnecting",
    close: "closed",
    leave: "left",
  },
  "media-unavailable": {
    "media-restart": "media-restarting",
    "media-unavailable": "media-unavailable",
    reconnect: "reconnecting",
    close: "closed",
    leave: "left",
  },
  reconnecting: { joined: "joined", reconnect: "reconnecting", close: "closed", leave: "left" },
  left: { join: "joining" },
  closed: { join: "joining" },
});

/** States in which the person is in the meeting (the roster, chat and controls are shown). */
const IN_MEETING = new Set(["joined", "media-restarting", "media-unavailable"]);

/** States with peer connections of ours (so a media refusal from the server is news). */
const WITH_PEERS = new Set(["joined", "media-restarting"]);

export class MeetingSession {
  constructor({ iceServers = [], resumeKey = "meet-resume" } = {}) {
    this.state = "preview";
    this.events = []; // the last 200 things that happened, for debugging and tests
    this.self = null; // ParticipantInfo from `joined`
    this.participants = new Map(); // id -> ParticipantInfo of everyone else
    this.signaling = null;
    this.publisher = null;
    this.subscriber = null;
    this.locked = false;
    this.defaultIceServers = iceServers;
    this.iceServers = iceServers;
    this.mediaRetries = 0; // rejoins after `media-unavailable`, reset once media flows
    this.mediaRetryTimer = null;
    this.leftOnce = false; // local devices were stopped by a Leave
    // The `resume` token of the last `joined`, kept per tab (sessionStorage survives a reload):
    // a reconnect or a reload takes back the same participant instead of adding a second one.
    this.resumeKey = resumeKey;
  }

  get resumeToken() {
    try {
      return window.sessionStorage.getItem(this.resumeKey) || "";
    } catch {
      return ""; // storage blocked: the server still matches the same account or guest session
    }
  }

  set resumeToken(token) {
    try {
      if (token) window.sessionStorage.setItem(this.resumeKey, token);
      else window.sessionStorage.removeItem(this.resumeKey);
    } catch {
      /* storage blocked */
    }
  }

  forgetResume() {
    this.resumeToken = "";
  }

  joinMessage() {
    const resume = this.resumeToken;
    return resume ? { type: "join", resume } : { type: "join" };
  }

  /** Take `event` from the current state; false (and a log line) if the table has no such edge. */
  transition(event) {
    const from = this.state;
    const to = (TRANSITIONS[from] || {})[event];
    if (!to) {
      console.warn(`MeetingSession: no transition "${event}" from "${from}"`);
      this.log({ refused: event, state: from });
      return false;
    }
    this.state = to;
    if (from === "media-unavailable" && to !== "media-unavailable") this.cancelMediaRetry();
    if (to !== from) this.log({ state: to, event });
    return true;
  }

  /** The state, or "joined" for any state inside the meeting (what tests wait for). */
  get phase() {
    return IN_MEETING.has(this.state) ? "joined" : this.state;
  }

  get inMeeting() {
    return IN_MEETING.has(this.state);
  }

  get hasPeers() {
    return WITH_PEERS.has(this.state);
  }

  log(event) {
    this.events.push({ t: performance.now(), ...event });
    if (this.events.length > 200) this.events.shift();
  }

  send(message) {
    return this.signaling ? this.signaling.send(message) : false;
  }

  /** The server's picture of the meeting, from a `joined` message. */
  adopt(msg) {
    this.self = { ...msg.participant };
    if (msg.resume) this.resumeToken = msg.resume;
    this.locked = Boolean(msg.locked);
    this.participants.clear();
    for (const p of msg.participants || []) this.participants.set(p.id, { ...p });
    this.iceServers = msg.ice_servers && msg.ice_servers.length ? msg.ice_servers : this.defaultIceServers;
  }

  closePeers() {
    if (this.publisher) this.publisher.close();
    if (this.subscriber) this.subscriber.close();
    this.publisher = null;
    this.subscriber = null;
  }

  /** Forget the meeting's remote side (peers and roster); `self` stays until a new `joined`. */
  forgetMeeting() {
    this.closePeers();
    this.participants.clear();
  }

  /** Run `rejoin` after `ms` unless the session left the media-unavailable state meanwhile. */
  scheduleMediaRetry(rejoin, ms) {
    this.cancelMediaRetry();
    this.mediaRetryTimer = setTimeout(() => {
      this.mediaRetryTimer = null;
      if (this.state === "media-unavailable") rejoin();
    }, ms);
  }

  cancelMediaRetry() {
    clearTimeout(this.mediaRetryTimer);
    this.mediaRetryTimer = null;
  }

  /** Stop the signaling connection for good (Leave, or the page going away). */
  stopSignaling() {
    this.cancelMediaRetry();
    if (this.signaling) this.signaling.stop();
    this.signaling = null;
  }
}
