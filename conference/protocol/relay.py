"""What a room consumer forwards to its browser: channel-layer event type -> builder.

``RELAY[event["type"]](event, me)`` is the browser frame for a group event or an SFU reply, or
None when the event is not for this browser (``me``: the consumer's participant id, None before
the join). Events that change the consumer's own state are its methods (``CONSUMER_ACTIONS``);
any other event type is dropped, never forwarded as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conference.protocol import server as s
from conference.protocol.group import (
    CaptionEvent,
    RoomAdmissionRequest,
    RoomAdmissionSettled,
    RoomCaptionsStatus,
    RoomChat,
    RoomHand,
    RoomMediaState,
    RoomMute,
    RoomParticipantJoined,
    RoomParticipantLeft,
    RoomReaction,
    RoomReadmitted,
    RoomState,
    RoomUnmuteAllowed,
    RoomUnmuteRequest,
)
from conference.protocol.sfu import SfuErrorReply, SfuLinkReply, SfuPublishAnswerReply, SfuSubscribeOfferReply

Me = int | None


def _participant_joined(e: RoomParticipantJoined, me: Me) -> s.ServerParticipantJoined | None:
    if e["participant"]["id"] == me:
        return None  # the joiner learns about itself from `joined`
    return s.server_participant_joined(participant=e["participant"])


def _participant_left(e: RoomParticipantLeft, me: Me) -> s.ServerParticipantLeft | None:
    if e["participant"] == me:
        return None
    return s.server_participant_left(participant=e["participant"], reason=e["reason"])


def _chat(e: RoomChat, me: Me) -> s.ServerChat:
    return s.server_chat(message=e["message"])


def _media_state(e: RoomMediaState, me: Me) -> s.ServerMediaState:
    return s.server_media_state(
        participant=e["participant"], audio=e["audio"], video=e["video"], screen=e["screen"]
    )


def _room_state(e: RoomState, me: Me) -> s.ServerRoomState:
    return s.server_room_state(locked=e["locked"])


def _caption(e: CaptionEvent, me: Me) -> s.ServerCaption:
    return s.server_caption(
        participant=e["participant"],
        speaker=e["speaker"],
        text=e["text"],
        final=e["final"],
        utterance=e["utterance"],
        start=e["start"],
        end=e["end"],
    )


def _captions_status(e: RoomCaptionsStatus, me: Me) -> s.ServerCaptionsStatus:
    return s.server_captions_status(available=e["available"], message=e["message"])


def _mute(e: RoomMute, me: Me) -> s.ServerMutedByHost | None:
    return s.server_muted_by_host(by=e["by"]) if e["target"] == me else None


def _unmute_request(e: RoomUnmuteRequest, me: Me) -> s.ServerUnmuteRequest | None:
    if me not in e["hosts"]:
        return None
    return s.server_unmute_request(participant=e["participant"], name=e["name"])


def _unmute_allowed(e: RoomUnmuteAllowed, me: Me) -> s.ServerUnmuteAllowed | None:
    return s.server_unmute_allowed(by=e["by"]) if e["target"] == me else None


def _readmitted(e: RoomReadmitted, me: Me) -> s.ServerReadmitted | None:
    return s.server_readmitted(participant=e["participant"]) if me in e["hosts"] else None


def _hand(e: RoomHand, me: Me) -> s.ServerHand:
    return s.server_hand(participant=e["participant"], raised=e["raised"], at=e["at"], by=e["by"])


def _reaction(e: RoomReaction, me: Me) -> s.ServerReaction:
    return s.server_reaction(participant=e["participant"], name=e["name"], emoji=e["emoji"])


def _admission_request(e: RoomAdmissionRequest, me: Me) -> s.ServerAdmissionRequest | None:
    return s.server_admission_request(admission=e["admission"], name=e["name"]) if me in e["hosts"] else None


def _admission_settled(e: RoomAdmissionSettled, me: Me) -> s.ServerAdmissionSettled | None:
    return s.server_admission_settled(admission=e["admission"]) if me in e["hosts"] else None


def _publish_answer(e: SfuPublishAnswerReply, me: Me) -> s.ServerPublishAnswer:
    return s.server_publish_answer(sdp=e["sdp"])


def _subscribe_offer(e: SfuSubscribeOfferReply, me: Me) -> s.ServerSubscribeOffer:
    return s.server_subscribe_offer(sdp=e["sdp"], tracks=e["tracks"])


def _sfu_error(e: SfuErrorReply, me: Me) -> s.ServerError:
    return s.server_error(
        code=e.get("code", "media-error"), message=e.get("message", "The media server refused that.")
    )


def _link(e: SfuLinkReply, me: Me) -> s.ServerLinkQuality:
    return s.server_link_quality(paused=e["paused"])


RELAY: dict[str, Callable[[Any, Me], s.ServerMessage | None]] = {
    "room.participant_joined": _participant_joined,
    "room.participant_left": _participant_left,
    "room.chat": _chat,
    "room.media_state": _media_state,
    "room.state": _room_state,
    "room.caption": _caption,
    "room.captions_status": _captions_status,
    "room.mute": _mute,
    "room.unmute_request": _unmute_request,
    "room.unmute_allowed": _unmute_allowed,
    "room.readmitted": _readmitted,
    "room.hand": _hand,
    "room.reaction": _reaction,
    "room.admission_request": _admission_request,
    "room.admission_settled": _admission_settled,
    "sfu.publish_answer": _publish_answer,
    "sfu.subscribe_offer": _subscribe_offer,
    "sfu.error": _sfu_error,
    "sfu.link": _link,
}

# Handled by RoomConsumer methods (room_remove, room_takeover, room_admitted, room_denied,
# sfu_closed, sfu_worker_lost): they close, join or move the connection.
CONSUMER_ACTIONS = frozenset(
    {"room.remove", "room.takeover", "room.admitted", "room.denied", "sfu.closed", "sfu.worker_lost"}
)
