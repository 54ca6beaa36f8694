// window.__meet: the room page's live objects for the browser tests (and bench/), and a way to
// replay a server message. Set only when the page config says `testHooks` (setting
// CLIENT_TEST_HOOKS), so a production page neither exposes peer connections nor takes injected messages.

export function exposeTestHooks({ config, session, local, probe, quality, receive }) {
  window.__meet = {
    config,
    local,
    session,
    quality, // .latest: participant id (or "self") -> the last verdict from getStats
    receive, // replay a server message, as if the socket had delivered it
    get events() {
      return session.events;
    },
    get firstFrameAt() {
      return probe.firstFrameAt; // "participantId:kind" -> performance.now() of its first remote frame
    },
    get captionLog() {
      return probe.captionLog; // the last caption messages received
    },
    get joinClickedAt() {
      return probe.joinClickedAt;
    },
    get subscribeTracks() {
      return session.subscriber ? session.subscriber.tracks : {};
    },
    get publishPc() {
      return session.publisher ? session.publisher.pc : null;
    },
    get subscribePc() {
      return session.subscriber ? session.subscriber.pc : null;
    },
    get self() {
      return session.self;
    },
    get participants() {
      return [...session.participants.values()];
    },
    get phase() {
      return session.phase; // "joined" in every state inside the meeting
    },
    get state() {
      return session.state;
    },
    get signaling() {
      return session.signaling;
    },
  };
}
