"""Shapes used inside several messages."""

from __future__ import annotations

from typing import Literal, TypedDict

__all__ = [
    "PcName",
    "MediaKind",
    "IceCandidate",
    "ParticipantInfo",
    "ChatInfo",
    "TrackInfo",
    "RemovedInfo",
    "WaitingInfo",
    "participant_info",
    "chat_info",
]

PcName = Literal["publish", "subscribe"]
MediaKind = Literal["audio", "video", "screen"]


class IceCandidate(TypedDict):
    candidate: str
    sdpMid: str | None
    sdpMLineIndex: int | None


class ParticipantInfo(TypedDict):
    id: int
    name: str
    is_host: bool
    guest: bool  # joined without an account: the page marks the name "(guest)"
    audio: bool
    video: bool
    screen: bool
    host_muted: bool  # a host muted them; only a host can allow them to unmute
    hand_raised_at: str | None  # ISO 8601 while their hand is up: the queue is in this order


class RemovedInfo(TypedDict):
    """Someone a host removed from the meeting (for the hosts' "Let back in" list)."""

    id: int  # the participant id they had
    name: str


class WaitingInfo(TypedDict):
    """Someone in the lobby of a waiting room (for the hosts' "Admit" / "Deny")."""

    id: int  # the admission's id
    name: str


class ChatInfo(TypedDict):
    id: int
    author: str
    participant: int | None
    guest: bool  # the author joined without an account
    text: str
    at: str  # ISO 8601


class TrackInfo(TypedDict):
    participant: int
    kind: MediaKind


def participant_info(
    *,
    id: int,
    name: str,
    is_host: bool,
    guest: bool,
    audio: bool,
    video: bool,
    screen: bool,
    host_muted: bool = False,
    hand_raised_at: str | None = None,
) -> ParticipantInfo:
    return {
        "id": id,
        "name": name,
        "is_host": is_host,
        "guest": guest,
        "audio": audio,
        "video": video,
        "screen": screen,
        "host_muted": host_muted,
        "hand_raised_at": hand_raised_at,
    }


def chat_info(*, id: int, author: str, participant: int | None, guest: bool, text: str, at: str) -> ChatInfo:
    return {"id": id, "author": author, "participant": participant, "guest": guest, "text": text, "at": at}
