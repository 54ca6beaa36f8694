"""The audio tap interface between the SFU and live captions (implemented in transcripts.live)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

Send = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class AudioTapContext:
    meeting: int
    room: int
    participant: int
    speaker: str
    meeting_started_at: float  # epoch seconds
    send: Send  # the worker's send(channel, message), e.g. to protocol.TRANSCRIBE_CHANNEL
    source: str = ""  # the worker's id, carried by the tap's requests (TranscribeRequest.source)


class AudioTap(Protocol):
    def feed(self, payload: bytes, rtp_timestamp: int, arrival: float) -> None:
        """One Opus RTP payload of the speaker, on the SFU loop: must be cheap."""

    def set_muted(self, muted: bool) -> None: ...

    async def close(self) -> int:
        """Flush; return how many final transcribe requests this tap sent in total."""
        ...


AudioTapFactory = Callable[[AudioTapContext], AudioTap]
