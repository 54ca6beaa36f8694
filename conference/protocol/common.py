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
    audio: bool
    video: bool
    screen: bool


class ChatInfo(TypedDict):
    id: int
    author: str
    participant: int | None
    text: str
    at: str  # ISO 8601


class TrackInfo(TypedDict):
    participant: int
    kind: MediaKind
