"""SFU worker -> transcription workers (TRANSCRIBE_CHANNEL); captions go on as group events
(conference.protocol.group.CaptionEvent)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "TranscribeRequest",
    "TranscribeFlush",
    "TranscriberHeartbeat",
    "transcribe_request",
    "transcribe_flush",
    "transcriber_heartbeat",
]


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
    source: NotRequired[str]  # the SFU worker whose tap sent it ("" or absent: unknown)
    # Display names in the meeting, the speaker's first: the decoder's prompt, and the spelling
    # names get in captions (absent: none known).
    names: NotRequired[list[str]]


class TranscribeFlush(TypedDict):
    """Sent by the SFU after the last participant of a meeting left and every tap sent its
    final request. Workers compete for requests, so the flush says how many finals to wait for:
    the transcript is complete once ``finals`` final requests of the meeting were processed.

    ``finals`` counts only this worker's finals (``source``, as in its requests): a meeting that
    moved (its first worker died or stopped) is complete once its LAST worker's finals are
    processed; the earlier worker's finals were processed long before, or were lost with it,
    and are not waited for (transcripts.services).
    """

    type: Literal["transcribe.flush"]
    meeting: int
    finals: int
    source: NotRequired[str]  # the SFU worker id ("" or absent: every final of the meeting counts)


def transcribe_request(
    *,
    meeting: int,
    room: int,
    participant: int,
    speaker: str,
    utterance: str,
    final: bool,
    start: float,
    end: float,
    sent_at: float,
    pcm: bytes,
    source: str = "",
    names: list[str] | None = None,
) -> TranscribeRequest:
    request: TranscribeRequest = {
        "type": "transcribe.request",
        "meeting": meeting,
        "room": room,
        "participant": participant,
        "speaker": speaker,
        "utterance": utterance,
        "final": final,
        "start": start,
        "end": end,
        "sent_at": sent_at,
        "pcm": pcm,
    }
    if source:
        request["source"] = source
    if names:
        request["names"] = list(names)
    return request


def transcribe_flush(*, meeting: int, finals: int, source: str = "") -> TranscribeFlush:
    """``source`` is left out when "" (a worker that does not know its id: tests, benches)."""
    flush: TranscribeFlush = {"type": "transcribe.flush", "meeting": meeting, "finals": finals}
    if source:
        flush["source"] = source
    return flush


class TranscriberHeartbeat(TypedDict):
    """What a transcription worker keeps under TRANSCRIBER_HEARTBEAT_KEY + its id (with a TTL)."""

    worker_id: str
    started_at: float  # epoch seconds


def transcriber_heartbeat(*, worker_id: str, started_at: float) -> TranscriberHeartbeat:
    return {"worker_id": worker_id, "started_at": started_at}
