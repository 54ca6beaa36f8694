"""Browser -> room consumer: JSON text frames the page sends (validated by rooms.validation).

The page builds these in JavaScript; the builders serve Python peers (tests, benches).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from conference.protocol.common import IceCandidate, PcName

__all__ = [
    "ModerateAction",
    "ClientJoin",
    "ClientAskUnmute",
    "ClientPublishOffer",
    "ClientSubscribeAnswer",
    "ClientIce",
    "ClientChat",
    "ClientMediaState",
    "ClientModerate",
    "ClientLeave",
    "ClientKeyframe",
    "ClientVisible",
    "ClientMediaRestartRequest",
    "ClientHand",
    "ClientReaction",
    "REACTIONS",
    "client_join",
    "client_ask_unmute",
    "client_publish_offer",
    "client_subscribe_answer",
    "client_ice",
    "client_chat",
    "client_media_state",
    "client_moderate",
    "client_leave",
    "client_keyframe",
    "client_visible",
    "client_media_restart_request",
    "client_hand",
    "client_reaction",
]

# admit / deny: ``participant`` is the id of the waiting person's admission (waiting rooms).
ModerateAction = Literal["mute", "allow-unmute", "remove", "readmit", "lock", "unlock", "admit", "deny"]


class ClientJoin(TypedDict):
    """``resume``: the token of an earlier ``joined`` (kept by the page for its tab): after a
    dropped socket it takes back the same participant instead of adding a second one."""

    type: Literal["join"]
    resume: NotRequired[str]


class ClientAskUnmute(TypedDict):
    """A participant a host muted asks the hosts to let them speak."""

    type: Literal["ask-unmute"]


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
    action: ModerateAction
    participant: NotRequired[int]  # target, for mute, allow-unmute, remove, readmit


class ClientLeave(TypedDict):
    type: Literal["leave"]


class ClientKeyframe(TypedDict):
    """Ask for a keyframe of one publisher's video (e.g. a tile became visible)."""

    type: Literal["keyframe"]
    participant: int


class ClientVisible(TypedDict):
    """The participants whose video (camera or screen) the page shows now, e.g. the tiles on
    screen: the SFU forwards only their video (everyone's audio always). Until the first one,
    all video is forwarded. A tile that appears gets a keyframe within a round trip."""

    type: Literal["visible"]
    participants: list[int]


class ClientMediaRestartRequest(TypedDict):
    """The page's peer connections failed (ICE failed, or disconnected for several seconds)
    while its socket is fine: ask for fresh media on the same socket, in the same meeting.
    Answered with ``media-restart`` (or ``media-unavailable``)."""

    type: Literal["media-restart-request"]


class ClientHand(TypedDict):
    """Raise or lower one's own hand; a host lowers someone else's with ``participant``."""

    type: Literal["hand"]
    raised: bool
    participant: NotRequired[int]


# The reactions a page may send (emoji -> the words its button says): nothing else is relayed.
REACTIONS: dict[str, str] = {
    "👍": "Thumbs up",
    "👏": "Applause",
    "😂": "Laughter",
    "❤️": "Love",
    "🎉": "Celebration",
    "😮": "Surprise",
}


class ClientReaction(TypedDict):
    """An emoji that floats briefly on everyone's stage (one of REACTIONS)."""

    type: Literal["reaction"]
    emoji: str


def client_join(*, resume: str = "") -> ClientJoin:
    message: ClientJoin = {"type": "join"}
    if resume:
        message["resume"] = resume
    return message


def client_ask_unmute() -> ClientAskUnmute:
    return {"type": "ask-unmute"}


def client_publish_offer(*, sdp: str) -> ClientPublishOffer:
    return {"type": "publish-offer", "sdp": sdp}


def client_subscribe_answer(*, sdp: str) -> ClientSubscribeAnswer:
    return {"type": "subscribe-answer", "sdp": sdp}


def client_ice(*, pc: PcName, candidate: IceCandidate | None) -> ClientIce:
    return {"type": "ice", "pc": pc, "candidate": candidate}


def client_chat(*, text: str) -> ClientChat:
    return {"type": "chat", "text": text}


def client_media_state(*, audio: bool, video: bool, screen: bool) -> ClientMediaState:
    return {"type": "media-state", "audio": audio, "video": video, "screen": screen}


def client_moderate(*, action: ModerateAction, participant: int | None = None) -> ClientModerate:
    message: ClientModerate = {"type": "moderate", "action": action}
    if participant is not None:
        message["participant"] = participant
    return message


def client_leave() -> ClientLeave:
    return {"type": "leave"}


def client_keyframe(*, participant: int) -> ClientKeyframe:
    return {"type": "keyframe", "participant": participant}


def client_visible(*, participants: list[int]) -> ClientVisible:
    return {"type": "visible", "participants": participants}


def client_media_restart_request() -> ClientMediaRestartRequest:
    return {"type": "media-restart-request"}


def client_hand(*, raised: bool, participant: int | None = None) -> ClientHand:
    message: ClientHand = {"type": "hand", "raised": raised}
    if participant is not None:
        message["participant"] = participant
    return message


def client_reaction(*, emoji: str) -> ClientReaction:
    return {"type": "reaction", "emoji": emoji}
