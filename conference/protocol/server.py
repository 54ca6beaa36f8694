"""Room consumer -> browser: JSON text frames the page handles, and the WebSocket close codes."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from django.conf import settings

from conference.protocol.common import (
    ChatInfo,
    IceCandidate,
    ParticipantInfo,
    PcName,
    RemovedInfo,
    TrackInfo,
    WaitingInfo,
)

__all__ = [
    "LeftReason",
    "ServerJoined",
    "ServerParticipantJoined",
    "ServerParticipantLeft",
    "ServerMediaState",
    "ServerPublishAnswer",
    "ServerSubscribeOffer",
    "ServerIce",
    "ServerChat",
    "ServerRoomState",
    "ServerMutedByHost",
    "ServerUnmuteRequest",
    "ServerUnmuteAllowed",
    "ServerReadmitted",
    "ServerCaption",
    "ServerError",
    "ServerSfuUnavailable",
    "ServerMediaRestart",
    "ServerCaptionsStatus",
    "ServerHand",
    "ServerReaction",
    "ServerWaiting",
    "ServerAdmissionRequest",
    "ServerAdmissionSettled",
    "ServerLinkQuality",
    "LINK_PAUSED_MESSAGE",
    "ServerMessage",
    "server_joined",
    "server_participant_joined",
    "server_participant_left",
    "server_media_state",
    "server_publish_answer",
    "server_subscribe_offer",
    "server_ice",
    "server_chat",
    "server_room_state",
    "server_muted_by_host",
    "server_unmute_request",
    "server_unmute_allowed",
    "server_readmitted",
    "server_caption",
    "server_error",
    "server_media_unavailable",
    "server_media_restart",
    "server_captions_status",
    "server_hand",
    "server_reaction",
    "server_waiting",
    "server_admission_request",
    "server_admission_settled",
    "server_link_quality",
    "CLOSE_DENIED",
    "WAITING_MESSAGE",
    "CLOSE_NOT_ALLOWED",
    "CLOSE_NOT_FOUND",
    "CLOSE_LOCKED",
    "CLOSE_REMOVED",
    "CLOSE_FLOOD",
    "CLOSE_SERVER_SHUTDOWN",
    "CLOSE_MEDIA_LOST",
    "CLOSE_TAKEN_OVER",
    "CLOSE_ROOM_FULL",
    "CLOSE_SERVER_ERROR",
    "CLOSE_REASONS",
    "FINAL_CLOSE_CODES",
    "client_config",
]

LeftReason = Literal["left", "removed", "disconnected"]


class ServerJoined(TypedDict):
    """The join is recorded and the meeting placed on a media server (or found none).

    ``media``: True when the meeting has an SFU worker: start the peer connections (publish offer).
    False: chat only; ``media_message`` says why in words, and no peer connection would be
    answered. Sent once the placement is done, so no ``media-unavailable`` follows a join.
    """

    type: Literal["joined"]
    participant: ParticipantInfo  # you
    participants: list[ParticipantInfo]  # everyone else already in the meeting
    chat: list[ChatInfo]
    locked: bool
    ice_servers: list[dict[str, Any]]
    media: bool
    media_message: str  # "" when media is True
    # Media is held back by a circuit breaker: it probes again in this many seconds (retry then).
    media_retry_after: NotRequired[float]
    resume: str  # send it in the next `join` after a dropped socket: the same participant again
    removed: list[RemovedInfo]  # for hosts: people removed, whom they may let back in ([] for others)
    waiting: list[WaitingInfo]  # for hosts: people in the lobby of a waiting room ([] for others)


class ServerParticipantJoined(TypedDict):
    type: Literal["participant-joined"]
    participant: ParticipantInfo


class ServerParticipantLeft(TypedDict):
    type: Literal["participant-left"]
    participant: int
    reason: LeftReason


class ServerMediaState(TypedDict):
    type: Literal["media-state"]
    participant: int
    audio: bool
    video: bool
    screen: bool


class ServerPublishAnswer(TypedDict):
    type: Literal["publish-answer"]
    sdp: str


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


class ServerUnmuteRequest(TypedDict):
    """To hosts: a participant they muted asks to speak."""

    type: Literal["unmute-request"]
    participant: int
    name: str


class ServerUnmuteAllowed(TypedDict):
    """To a host-muted participant: a host allows them to unmute (they still do it themselves)."""

    type: Literal["unmute-allowed"]
    by: str


class ServerReadmitted(TypedDict):
    """To hosts: a removed person may come back (drop them from the "Let back in" list)."""

    type: Literal["readmitted"]
    participant: int


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
    """The media connection was lost after the join (the meeting's worker closed it, or no
    other worker took the meeting over). Chat keeps working."""

    type: Literal["media-unavailable"]
    message: str
    retry_after: NotRequired[float]  # a circuit breaker is open: it probes again in this many seconds


class ServerCaptionsStatus(TypedDict):
    """Captions stopped (the transcription queue's circuit breaker opened) or came back."""

    type: Literal["captions-status"]
    available: bool
    message: str  # "Captions are unavailable right now." / "Captions are back."


class ServerMediaRestart(TypedDict):
    """Start the media afresh: close both peer connections and start again (a new publish
    offer; a new subscribe offer will follow). Same socket, same participant, same meeting.
    Sent when the meeting moved to another SFU worker (its worker stopped or died) and in
    answer to ``media-restart-request``."""

    type: Literal["media-restart"]
    message: str
    ice_servers: list[dict[str, Any]]  # fresh (TURN credentials expire); [] keeps the last ones


class ServerHand(TypedDict):
    """Someone's hand went up (``at``) or down (``by``: the host who lowered it, or "")."""

    type: Literal["hand"]
    participant: int
    raised: bool
    at: str | None
    by: str


class ServerWaiting(TypedDict):
    """To someone who asked to join a waiting room: wait (``joined`` follows when a host admits
    them; a denial closes with CLOSE_DENIED)."""

    type: Literal["waiting"]
    message: str


class ServerAdmissionRequest(TypedDict):
    """To hosts: someone waits in the lobby (``admission``: the id to admit or deny)."""

    type: Literal["admission-request"]
    admission: int
    name: str


class ServerAdmissionSettled(TypedDict):
    """To hosts: that person was admitted or denied, or left the lobby."""

    type: Literal["admission-settled"]
    admission: int


class ServerReaction(TypedDict):
    type: Literal["reaction"]
    participant: int
    name: str
    emoji: str


LINK_PAUSED_MESSAGE = "Video paused: poor connection"


class ServerLinkQuality(TypedDict):
    """This browser's connection cannot carry the others' video right now (``paused``): the
    server stopped sending it, audio goes on; the page says ``message`` on the video tiles.
    ``paused`` false: video comes back (the tiles clear the message)."""

    type: Literal["link-quality"]
    paused: bool
    message: str


ServerMessage = (
    ServerJoined
    | ServerParticipantJoined
    | ServerParticipantLeft
    | ServerMediaState
    | ServerPublishAnswer
    | ServerSubscribeOffer
    | ServerIce
    | ServerChat
    | ServerRoomState
    | ServerMutedByHost
    | ServerUnmuteRequest
    | ServerUnmuteAllowed
    | ServerReadmitted
    | ServerCaption
    | ServerError
    | ServerSfuUnavailable
    | ServerMediaRestart
    | ServerCaptionsStatus
    | ServerHand
    | ServerReaction
    | ServerWaiting
    | ServerAdmissionRequest
    | ServerAdmissionSettled
    | ServerLinkQuality
)


def server_joined(
    *,
    participant: ParticipantInfo,
    participants: list[ParticipantInfo],
    chat: list[ChatInfo],
    locked: bool,
    ice_servers: list[dict[str, Any]],
    media_message: str = "",
    resume: str = "",
    removed: list[RemovedInfo] | None = None,
    media_retry_after: float | None = None,
    waiting: list[WaitingInfo] | None = None,
) -> ServerJoined:
    """``media_message``: why there is no media ("" when the meeting has a media server)."""
    joined: ServerJoined = {
        "type": "joined",
        "participant": participant,
        "participants": participants,
        "chat": chat,
        "locked": locked,
        "ice_servers": ice_servers,
        "media": not media_message,
        "media_message": media_message,
        "resume": resume,
        "removed": removed or [],
        "waiting": waiting or [],
    }
    if media_retry_after is not None:
        joined["media_retry_after"] = round(media_retry_after, 1)
    return joined


def server_participant_joined(*, participant: ParticipantInfo) -> ServerParticipantJoined:
    return {"type": "participant-joined", "participant": participant}


def server_participant_left(*, participant: int, reason: LeftReason) -> ServerParticipantLeft:
    return {"type": "participant-left", "participant": participant, "reason": reason}


def server_media_state(*, participant: int, audio: bool, video: bool, screen: bool) -> ServerMediaState:
    return {
        "type": "media-state",
        "participant": participant,
        "audio": audio,
        "video": video,
        "screen": screen,
    }


def server_publish_answer(*, sdp: str) -> ServerPublishAnswer:
    return {"type": "publish-answer", "sdp": sdp}


def server_subscribe_offer(*, sdp: str, tracks: dict[str, TrackInfo]) -> ServerSubscribeOffer:
    return {"type": "subscribe-offer", "sdp": sdp, "tracks": tracks}


def server_ice(*, pc: PcName, candidate: IceCandidate | None) -> ServerIce:
    return {"type": "ice", "pc": pc, "candidate": candidate}


def server_chat(*, message: ChatInfo) -> ServerChat:
    return {"type": "chat", "message": message}


def server_room_state(*, locked: bool) -> ServerRoomState:
    return {"type": "room-state", "locked": locked}


def server_muted_by_host(*, by: str) -> ServerMutedByHost:
    return {"type": "muted-by-host", "by": by}


def server_unmute_request(*, participant: int, name: str) -> ServerUnmuteRequest:
    return {"type": "unmute-request", "participant": participant, "name": name}


def server_unmute_allowed(*, by: str) -> ServerUnmuteAllowed:
    return {"type": "unmute-allowed", "by": by}


def server_readmitted(*, participant: int) -> ServerReadmitted:
    return {"type": "readmitted", "participant": participant}


def server_caption(
    *, participant: int, speaker: str, text: str, final: bool, utterance: str, start: float, end: float
) -> ServerCaption:
    return {
        "type": "caption",
        "participant": participant,
        "speaker": speaker,
        "text": text,
        "final": final,
        "utterance": utterance,
        "start": start,
        "end": end,
    }


def server_error(*, code: str, message: str, fatal: bool = False) -> ServerError:
    return {"type": "error", "code": code, "message": message, "fatal": fatal}


def server_media_unavailable(*, message: str, retry_after: float | None = None) -> ServerSfuUnavailable:
    unavailable: ServerSfuUnavailable = {"type": "media-unavailable", "message": message}
    if retry_after is not None:
        unavailable["retry_after"] = round(retry_after, 1)
    return unavailable


def server_captions_status(*, available: bool, message: str) -> ServerCaptionsStatus:
    return {"type": "captions-status", "available": available, "message": message}


def server_hand(*, participant: int, raised: bool, at: str | None, by: str) -> ServerHand:
    return {"type": "hand", "participant": participant, "raised": raised, "at": at, "by": by}


def server_reaction(*, participant: int, name: str, emoji: str) -> ServerReaction:
    return {"type": "reaction", "participant": participant, "name": name, "emoji": emoji}


WAITING_MESSAGE = "The host will let you in soon."


def server_waiting(*, message: str = WAITING_MESSAGE) -> ServerWaiting:
    return {"type": "waiting", "message": message}


def server_admission_request(*, admission: int, name: str) -> ServerAdmissionRequest:
    return {"type": "admission-request", "admission": admission, "name": name}


def server_admission_settled(*, admission: int) -> ServerAdmissionSettled:
    return {"type": "admission-settled", "admission": admission}


def server_media_restart(
    *, message: str, ice_servers: list[dict[str, Any]] | None = None
) -> ServerMediaRestart:
    return {"type": "media-restart", "message": message, "ice_servers": ice_servers or []}


# WebSocket close codes (4000-4999 are for applications).
CLOSE_NOT_ALLOWED = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_LOCKED = 4005
CLOSE_REMOVED = 4006
CLOSE_FLOOD = 4008
CLOSE_SERVER_SHUTDOWN = 4010
CLOSE_MEDIA_LOST = 4011  # the SFU saw the browser's media connection fail (ICE consent expired)
CLOSE_TAKEN_OVER = 4012  # the same person's newer connection (another tab or device) took the place
CLOSE_ROOM_FULL = 4013
CLOSE_SERVER_ERROR = 4014  # an unexpected error on the server: reconnecting resumes the place
CLOSE_DENIED = 4015  # a host did not let this person in from the waiting room (final for the meeting)

# What the page tells a person when the socket closes with a code.
CLOSE_REASONS: dict[int, str] = {
    CLOSE_NOT_ALLOWED: "You are not allowed to join this room.",
    CLOSE_NOT_FOUND: "This room does not exist, or you are not allowed to join it.",
    CLOSE_LOCKED: "The room is locked. Ask the host to unlock it, then try again.",
    CLOSE_REMOVED: "The host removed you from the meeting. Only a host can let you back in.",
    CLOSE_FLOOD: "Too many messages were sent too quickly, so the server closed the connection.",
    CLOSE_SERVER_SHUTDOWN: "The server is restarting.",
    CLOSE_MEDIA_LOST: "The media connection was lost.",
    CLOSE_TAKEN_OVER: "You joined this meeting from another tab or device, so you left it here.",
    CLOSE_ROOM_FULL: "The room is full. Try again when someone leaves.",
    CLOSE_SERVER_ERROR: "Something went wrong on the server.",
    CLOSE_DENIED: "The host did not let you in to this meeting.",
}

# Codes after which the page reconnecting on its own would be wrong or pointless.
FINAL_CLOSE_CODES: tuple[int, ...] = (
    CLOSE_NOT_ALLOWED,
    CLOSE_NOT_FOUND,
    CLOSE_LOCKED,
    CLOSE_REMOVED,
    CLOSE_FLOOD,
    CLOSE_TAKEN_OVER,
    CLOSE_ROOM_FULL,
    CLOSE_DENIED,
)


def client_config() -> dict[str, Any]:
    """The protocol facts the room page needs (its config's ``protocol`` key)."""
    return {
        "closeReasons": {str(code): words for code, words in CLOSE_REASONS.items()},
        "finalCloseCodes": list(FINAL_CLOSE_CODES),
        "maxMessageBytes": settings.WS_MAX_MESSAGE_BYTES,
    }


def server_link_quality(*, paused: bool) -> ServerLinkQuality:
    return {"type": "link-quality", "paused": paused, "message": LINK_PAUSED_MESSAGE if paused else ""}
