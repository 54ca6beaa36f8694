// The meeting's two peer connections (media.js) as the room page runs them: started on `joined`
// and on `media-restart`, watched for failure (then fresh ones are asked for on the same socket).
import { Publisher, Subscriber } from "./media.js";

/**
 * @param {{session: object, status: object, send: function, log: function, config: object,
 *          local: object, onTracks: function(Array)}} page
 */
export function peerControl({ session, status, send, log, config, local, onTracks }) {
  function onPeerState(name, state) {
    log({ pc: name, state });
    if (state === "connected" && session.hasPeers) {
      if (name === "publish") session.mediaRetries = 0;
      if (session.state === "media-restarting") session.transition("media-connected");
      clearTimeout(mediaRestartTimer);
      mediaRestartTimer = null;
      showConnected();
    } else if (state === "disconnected") {
      status.show("The media connection is unstable. Trying to recover…", "warn");
      requestMediaRestart(5000); // ICE often recovers by itself within a few seconds
    } else if (state === "failed" && session.hasPeers) {
      status.show("The media connection failed. Reconnecting…", "warn");
      requestMediaRestart(0);
    }
  }

  let mediaRestartTimer = null; // a pending media-restart-request after a peer connection failed

  /** Ask for fresh peer connections on the same socket (same meeting, same participant); the
   * server answers `media-restart`. Only when the socket itself is gone is it reconnected. */
  function requestMediaRestart(delay) {
    if (mediaRestartTimer !== null && delay > 0) return;
    clearTimeout(mediaRestartTimer);
    const publisher = session.publisher;
    mediaRestartTimer = setTimeout(() => {
      mediaRestartTimer = null;
      // Replaced meanwhile (the server restarted the media itself): nothing to ask for.
      if (!session.hasPeers || session.publisher !== publisher) return;
      log({ mediaRestartRequest: true });
      if (!send({ type: "media-restart-request" })) session.signaling.restart();
    }, delay);
  }

  function showConnected() {
    const others = session.participants.size;
    const who = others === 0 ? "You are the only one here." : others === 1 ? "1 other person is here." : `${others} other people are here.`;
    status.show(`Connected. ${who}`, "ok");
  }

  /** Fresh publish and subscribe connections; `failure` starts the words if they cannot start. */
  async function startPeers(failure) {
    session.closePeers();
    const servers = session.iceServers;
    // "relay" (setting SFU_ICE_TRANSPORT_POLICY): TURN only, as the relay browser test forces it.
    const iceTransportPolicy = config.iceTransportPolicy === "relay" ? "relay" : "all";
    const publisher = new Publisher({
      iceServers: servers,
      iceTransportPolicy,
      send,
      onStateChange: (s) => onPeerState("publish", s),
    });
    session.publisher = publisher;
    session.subscriber = new Subscriber({
      iceServers: servers,
      iceTransportPolicy,
      send,
      onStateChange: (s) => onPeerState("subscribe", s),
      onTracks,
      onError: (err) => status.alert(`Could not receive the others' audio and video (${err.message || err}).`),
    });
    if (local.audio) local.audio.enabled = local.micOn;
    try {
      await publisher.start({ audio: local.audio, video: local.video });
      if (local.screen) await publisher.replaceScreen(local.screen);
    } catch (err) {
      // Peers replaced or closed meanwhile (media-unavailable, a rejoin) are not worth a message.
      if (session.publisher === publisher) status.alert(`${failure}: ${err.message || err}`);
    }
  }

  return { showConnected, startPeers };
}
