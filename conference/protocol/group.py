"""Group events to room_group(room_id), one per room consumer (built by rooms.services, and by
the transcription workers for captions). Consumers turn them into Server* frames through
conference.protocol.relay."""

from __future__ import annotations

from typing import Literal, TypedDict

from conference.protocol.common import ChatInfo, ParticipantInfo
from conference.protocol.server import LeftReason

__all__ = [
    "RoomParticipantJoined",
    "RoomParticipantLeft",
    "RoomChat",
    "RoomMediaState",
    "RoomState",
    "RoomMute",
    "RoomRemove",
    "RoomTakeover",
    "RoomUnmuteRequest",
    "RoomUnmuteAllowed",
    "RoomReadmitted",
    "CaptionEvent",
    "RoomCaptionsStatus",
    "RoomHand",
    "RoomReaction",
    "RoomAdmissionRequest",
    "RoomAdmissionSettled",
    "RoomAdmitted",
    "RoomDenied",
    "RoomEvent",
    "room_participant_joined",
    "room_participant_left",
    "room_chat",
    "room_media_state",
    "room_state",
    "room_mute",
    "room_remove",
    "room_takeover",
    "room_unmute_request",
    "room_unmute_allowed",
    "room_readmitted",
    "room_caption",
    "room_captions_status",
    "room_hand",
    "room_reaction",
    "room_admission_request",
    "room_admission_settled",
    "room_admitted",
    "room_denied",
    "CAPTIONS_UNAVAILABLE",
    "CAPTIONS_BACK",
]

CAPTIONS_UNAVAILABLE = "Captions are unavailable right now."
CAPTIONS_BACK = "Captions are back."


class RoomParticipantJoined(TypedDict):
    type: Literal["room.participant_joined"]
    participant: ParticipantInfo


class RoomParticipantLeft(TypedDict):
    type: Literal["room.participant_left"]
    participant: int
    reason: LeftReason


class RoomChat(TypedDict):
    type: Literal["room.chat"]
    message: ChatInfo


class RoomMediaState(TypedDict):
    type: Literal["room.media_state"]
    participant: int
    audio: bool
    video: bool
    screen: bool


class RoomState(TypedDict):
    """The room was locked or unlocked."""

    type: Literal["room.state"]
    locked: bool


class RoomMute(TypedDict):
    """A host muted ``target``; only the target's consumer tells its browser."""

    type: Literal["room.mute"]
    target: int
    by: str  # the host's display name


class RoomRemove(TypedDict):
    """A host removed ``target`` (the leave is already recorded); its consumer closes."""

    type: Literal["room.remove"]
    target: int
    by: str


class RoomTakeover(TypedDict):
    """Sent to one consumer's channel: another connection of the same person (a reconnect, a
    second tab) now holds ``target``; this one closes without leaving."""

    type: Literal["room.takeover"]
    target: int


class RoomUnmuteRequest(TypedDict):
    """A host-muted participant asks to speak; only the consumers of ``hosts`` relay it."""

    type: Literal["room.unmute_request"]
    participant: int
    name: str
    hosts: list[int]


class RoomUnmuteAllowed(TypedDict):
    """A host ended their mute of ``target``: only the target's consumer relays it."""

    type: Literal["room.unmute_allowed"]
    target: int
    by: str


class RoomReadmitted(TypedDict):
    """A host let a removed person back in (``participant``: the id they had); for ``hosts``."""

    type: Literal["room.readmitted"]
    participant: int
    hosts: list[int]


class RoomCaptionsStatus(TypedDict):
    """Sent by an SFU worker when its transcription-queue breaker opens (captions stop) or closes
    (they come back), to each room with a captioned speaker on that worker."""

    type: Literal["room.captions_status"]
    available: bool
    message: str


class CaptionEvent(TypedDict):
    """Sent by a transcription worker; consumers forward it as ServerCaption."""

    type: Literal["room.caption"]
    participant: int
    speaker: str
    text: str
    final: bool
    utterance: str
    start: float
    end: float


class RoomHand(TypedDict):
    """A hand went up (``at``: when, the queue's order) or down (``by``: the host who lowered it,
    "" when its owner did)."""

    type: Literal["room.hand"]
    participant: int
    raised: bool
    at: str | None
    by: str


class RoomReaction(TypedDict):
    """A participant's reaction (one of protocol.REACTIONS); nothing is stored."""

    type: Literal["room.reaction"]
    participant: int
    name: str
    emoji: str


class RoomAdmissionRequest(TypedDict):
    """Someone waits in the lobby; only the consumers of ``hosts`` relay it."""

    type: Literal["room.admission_request"]
    admission: int
    name: str
    hosts: list[int]


class RoomAdmissionSettled(TypedDict):
    """A waiting person was admitted, denied, or left; for ``hosts``."""

    type: Literal["room.admission_settled"]
    admission: int
    hosts: list[int]


class RoomAdmitted(TypedDict):
    """Sent to the waiting consumer's channel: a host admitted it; it joins now."""

    type: Literal["room.admitted"]
    admission: int


class RoomDenied(TypedDict):
    """Sent to the waiting consumer's channel: a host denied it; it closes (final)."""

    type: Literal["room.denied"]
    admission: int
    by: str


RoomEvent = (
    RoomParticipantJoined
    | RoomParticipantLeft
    | RoomChat
    | RoomMediaState
    | RoomState
    | RoomMute
    | RoomRemove
    | RoomTakeover
    | RoomUnmuteRequest
    | RoomUnmuteAllowed
    | RoomReadmitted
    | CaptionEvent
    | RoomCaptionsStatus
    | RoomHand
    | RoomReaction
    | RoomAdmissionRequest
    | RoomAdmissionSettled
    | RoomAdmitted
    | RoomDenied
)


def room_participant_joined(*, participant: ParticipantInfo) -> RoomParticipantJoined:
    return {"type": "room.participant_joined", "participant": participant}


def room_participant_left(*, participant: int, reason: LeftReason) -> RoomParticipantLeft:
    return {"type": "room.participant_left", "participant": participant, "reason": reason}


def room_chat(*, message: ChatInfo) -> RoomChat:
    return {"type": "room.chat", "message": message}


def room_media_state(*, participant: int, audio: bool, video: bool, screen: bool) -> RoomMediaState:
    return {
        "type": "room.media_state",
        "participant": participant,
        "audio": audio,
        "video": video,
        "screen": screen,
    }


def room_state(*, locked: bool) -> RoomState:
    return {"type": "room.state", "locked": locked}


def room_mute(*, target: int, by: str) -> RoomMute:
    return {"type": "room.mute", "target": target, "by": by}


def room_remove(*, target: int, by: str) -> RoomRemove:
    return {"type": "room.remove", "target": target, "by": by}


def room_takeover(*, target: int) -> RoomTakeover:
    return {"type": "room.takeover", "target": target}


def room_unmute_request(*, participant: int, name: str, hosts: list[int]) -> RoomUnmuteRequest:
    return {"type": "room.unmute_request", "participant": participant, "name": name, "hosts": hosts}


def room_unmute_allowed(*, target: int, by: str) -> RoomUnmuteAllowed:
    return {"type": "room.unmute_allowed", "target": target, "by": by}


def room_readmitted(*, participant: int, hosts: list[int]) -> RoomReadmitted:
    return {"type": "room.readmitted", "participant": participant, "hosts": hosts}


def room_caption(
    *, participant: int, speaker: str, text: str, final: bool, utterance: str, start: float, end: float
) -> CaptionEvent:
    return {
        "type": "room.caption",
        "participant": participant,
        "speaker": speaker,
        "text": text,
        "final": final,
        "utterance": utterance,
        "start": start,
        "end": end,
    }


def room_captions_status(*, available: bool) -> RoomCaptionsStatus:
    return {
        "type": "room.captions_status",
        "available": available,
        "message": CAPTIONS_BACK if available else CAPTIONS_UNAVAILABLE,
    }


def room_hand(*, participant: int, raised: bool, at: str | None, by: str = "") -> RoomHand:
    return {"type": "room.hand", "participant": participant, "raised": raised, "at": at, "by": by}


def room_reaction(*, participant: int, name: str, emoji: str) -> RoomReaction:
    return {"type": "room.reaction", "participant": participant, "name": name, "emoji": emoji}


def room_admission_request(*, admission: int, name: str, hosts: list[int]) -> RoomAdmissionRequest:
    return {"type": "room.admission_request", "admission": admission, "name": name, "hosts": hosts}


def room_admission_settled(*, admission: int, hosts: list[int]) -> RoomAdmissionSettled:
    return {"type": "room.admission_settled", "admission": admission, "hosts": hosts}


def room_admitted(*, admission: int) -> RoomAdmitted:
    return {"type": "room.admitted", "admission": admission}


def room_denied(*, admission: int, by: str) -> RoomDenied:
    return {"type": "room.denied", "admission": admission, "by": by}
