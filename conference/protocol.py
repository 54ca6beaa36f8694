"""Every message shape that crosses a process boundary, written down once.

Three hops:
- browser <-> room consumer: JSON text frames on /ws/rooms/<slug>/ (``Client*`` / ``Server*``).
- room consumer <-> SFU worker: channel-layer messages (``Sfu*``). Commands go to the worker's
  channel ``sfu_channel(worker_id)``; replies go to the consumer's own channel name.
- SFU worker -> transcription workers -> room group: ``Transcribe*`` and ``Caption*``.

Channel-layer messages carry a ``type`` with a dot; Channels dispatches ``"sfu.answer"`` to a
consumer method ``sfu_answer``.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# ---------------------------------------------------------------------------
# Channel-layer names
# ---------------------------------------------------------------------------


def room_group(room_id: int) -> str:
    """Group every participant's consumer of a room joins: presence, chat, captions."""
    return f"room.{room_id}"


def sfu_channel(worker_id: str) -> str:
    """The channel one SFU worker reads its commands from."""
    return f"sfu.{worker_id}"


TRANSCRIBE_CHANNEL = "transcribe"  # shared by all transcription workers (competing consumers)

# Redis keys (under settings.REDIS_PREFIX) where SFU workers announce themselves.
SFU_HEARTBEAT_KEY = "sfu:worker:"  # + worker id -> JSON SfuHeartbeat, with a TTL


class SfuHeartbeat(TypedDict):
    worker_id: str
    load: int  # participants currently on the worker
    started_at: float
    full: NotRequired[bool]  # at SFU_MAX_PARTICIPANTS_PER_WORKER: placement skips it


# ---------------------------------------------------------------------------
# Browser -> consumer
# ---------------------------------------------------------------------------

PcName = Literal["publish", "subscribe"]
MediaKind = Literal["audio", "video", "screen"]


class IceCandidate(TypedDict):
    candidate: str
    sdpMid: str | None
    sdpMLineIndex: int | None


class ClientJoin(TypedDict):
    type: Literal["join"]


class ClientPublishOffer(TypedDict):
    """Offer for the browser's publish connection (its audio, video and screen transceivers)."""

    type: Literal["publish-offer"]
    sdp: str


class ClientSubscribeAnswer(TypedDict):
    """Answer to the SFU's offer on the subscribe connection."""

    type: Literal["subscribe-answer"]
    sdp: str


class ClientIce(TypedDict):
    type: Literal["ice"]
    pc: PcName
    candidate: IceCandidate | None  # None: end of candidates


class ClientChat(TypedDict):
    type: Literal["chat"]
    text: str


class ClientMediaState(TypedDict):
    """The sender's own media state, shown to everyone (mute icons, tile without video)."""

    type: Literal["media-state"]
    audio: bool
    video: bool
    screen: bool


class ClientModerate(TypedDict):
    type: Literal["moderate"]
    action: Literal["mute", "remove", "lock", "unlock"]
    participant: NotRequired[int]  # target, for mute/remove


class ClientLeave(TypedDict):
    type: Literal["leave"]


class ClientKeyframe(TypedDict):
    """Ask for a keyframe of one publisher's video (e.g. a tile became visible)."""

    type: Literal["keyframe"]
    participant: int


# ---------------------------------------------------------------------------
# Consumer -> browser
# ---------------------------------------------------------------------------


class ParticipantInfo(TypedDict):
    id: int
    name: str
    is_host: bool
    audio: bool
    video: bool
    screen: bool


class ChatInfo(TypedDict):
    id: int
    author: str
    participant: int | None
    text: str
    at: str  # ISO 8601


class ServerJoined(TypedDict):
    type: Literal["joined"]
    participant: ParticipantInfo  # you
    participants: list[ParticipantInfo]  # everyone else already in the meeting
    chat: list[ChatInfo]
    locked: bool
    ice_servers: list[dict[str, Any]]


class ServerParticipantJoined(TypedDict):
    type: Literal["participant-joined"]
    participant: ParticipantInfo


class ServerParticipantLeft(TypedDict):
    type: Literal["participant-left"]
    participant: int
    reason: Literal["left", "removed", "disconnected"]


class ServerMediaState(TypedDict):
    type: Literal["media-state"]
    participant: int
    audio: bool
    video: bool
    screen: bool


class ServerPublishAnswer(TypedDict):
    type: Literal["publish-answer"]
    sdp: str


class TrackInfo(TypedDict):
    participant: int
    kind: MediaKind


class ServerSubscribeOffer(TypedDict):
    """SFU-initiated offer for the subscribe connection; ``tracks`` maps each mid to its source."""

    type: Literal["subscribe-offer"]
    sdp: str
    tracks: dict[str, TrackInfo]


class ServerIce(TypedDict):
    type: Literal["ice"]
    pc: PcName
    candidate: IceCandidate | None


class ServerChat(TypedDict):
    type: Literal["chat"]
    message: ChatInfo


class ServerRoomState(TypedDict):
    type: Literal["room-state"]
    locked: bool


class ServerMutedByHost(TypedDict):
    type: Literal["muted-by-host"]
    by: str


class ServerCaption(TypedDict):
    type: Literal["caption"]
    participant: int
    speaker: str
    text: str
    final: bool
    utterance: str  # id: interim captions of one utterance replace each other
    start: float  # seconds from meeting start
    end: float


class ServerError(TypedDict):
    """Something the browser sent was refused; the connection stays open unless ``fatal``."""

    type: Literal["error"]
    code: str  # machine-readable: bad-json, unknown-type, invalid, too-large, rate-limited, ...
    message: str  # words a person understands
    fatal: bool


class ServerSfuUnavailable(TypedDict):
    type: Literal["media-unavailable"]
    message: str


class ServerMediaRestart(TypedDict):
    """The meeting moved to another SFU worker: close both peer connections and start again
    (a new publish offer; a new subscribe offer will follow)."""

    type: Literal["media-restart"]
    message: str


# WebSocket close codes (4000-4999 are for applications).
CLOSE_NOT_ALLOWED = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_LOCKED = 4005
CLOSE_REMOVED = 4006
CLOSE_FLOOD = 4008
CLOSE_SERVER_SHUTDOWN = 4010

# ---------------------------------------------------------------------------
# Consumer -> SFU worker (to sfu_channel(worker_id))
# ---------------------------------------------------------------------------


class SfuJoin(TypedDict):
    type: Literal["sfu.join"]
    meeting: int  # everyone in the same meeting is forwarded to everyone else
    room: int  # room id, for room_group() (captions)
    meeting_started_at: float  # epoch seconds; caption times are relative to it
    captions: bool  # tap this participant's audio for captions
    participant: int
    name: str
    reply_channel: str  # consumer's channel name: answers/offers/events for this participant


class SfuPublishOffer(TypedDict):
    type: Literal["sfu.publish_offer"]
    participant: int
    sdp: str


class SfuSubscribeAnswer(TypedDict):
    type: Literal["sfu.subscribe_answer"]
    participant: int
    sdp: str


class SfuIce(TypedDict):
    type: Literal["sfu.ice"]
    participant: int
    pc: PcName
    candidate: IceCandidate | None


class SfuSetMuted(TypedDict):
    """Stop (or resume) forwarding one participant's media of a kind, e.g. a host's mute."""

    type: Literal["sfu.set_muted"]
    participant: int
    kind: MediaKind
    muted: bool
    from_participant: NotRequired[int]  # who asks (a host): must be in the same meeting


class SfuKeyframe(TypedDict):
    type: Literal["sfu.keyframe"]
    participant: int  # publisher whose video should send a keyframe
    from_participant: int  # who asks: the publisher must be in the same meeting


class SfuLeave(TypedDict):
    type: Literal["sfu.leave"]
    participant: int


# ---------------------------------------------------------------------------
# SFU worker -> consumer (to SfuJoin.reply_channel)
# ---------------------------------------------------------------------------


class SfuPublishAnswerReply(TypedDict):
    type: Literal["sfu.publish_answer"]
    participant: int
    sdp: str


class SfuSubscribeOfferReply(TypedDict):
    type: Literal["sfu.subscribe_offer"]
    participant: int
    sdp: str
    tracks: dict[str, TrackInfo]


class SfuErrorReply(TypedDict):
    type: Literal["sfu.error"]
    participant: int
    code: str  # bad-sdp, unknown-participant, ...
    message: str


class SfuClosedReply(TypedDict):
    """The worker is shutting down (SIGTERM) or dropped this participant."""

    type: Literal["sfu.closed"]
    participant: int
    reason: str


# ---------------------------------------------------------------------------
# SFU worker -> transcription workers (TRANSCRIBE_CHANNEL) -> room group
# ---------------------------------------------------------------------------


class TranscribeRequest(TypedDict):
    """Speech of one utterance so far. Stateless for the worker: the whole window travels."""

    type: Literal["transcribe.request"]
    meeting: int
    room: int  # room id, for room_group()
    participant: int
    speaker: str
    utterance: str  # unique id of the utterance
    final: bool  # False: interim (may be skipped when stale); True: store it
    start: float  # utterance start, seconds from meeting start
    end: float
    sent_at: float  # time.time() when sent, to drop stale interim requests
    pcm: bytes  # 16 kHz mono signed 16-bit little-endian


class TranscribeFlush(TypedDict):
    """Sent by the SFU after the last participant of a meeting left and every tap sent its
    final request. Workers compete for requests, so the flush says how many finals to wait for:
    the transcript is complete once ``finals`` final requests of the meeting were processed."""

    type: Literal["transcribe.flush"]
    meeting: int
    finals: int


class CaptionEvent(TypedDict):
    """Group message to room_group(room); consumers forward it as ServerCaption."""

    type: Literal["room.caption"]
    participant: int
    speaker: str
    text: str
    final: bool
    utterance: str
    start: float
    end: float
