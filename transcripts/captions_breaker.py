"""The SFU's circuit breaker around the transcription queue (conference.breakers ``captions``).

Failures: a request the tap could not send (an error, or slower than its send timeout) and, checked
every TRANSCRIBER_HEARTBEAT_SECONDS while a tap is open, no live transcriber heartbeat
(transcripts.heartbeat) or no answer from Redis. A successful check resets the count.

While the breaker is open, taps drop their requests instead of queueing them: the loss is bounded
(the words said meanwhile get no captions and are missing from the transcript; the flush counts
only the finals sent, so the transcript still completes) and nothing piles up to flood the
transcribers when they return. The rooms with a tap on this worker are told
(``room.captions_status``: "Captions are unavailable right now."); the check is the half-open
probe once the reset time is over, and when it succeeds they are told "Captions are back." and
requests flow again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from conference import protocol
from conference.breakers import OPEN, AsyncBreaker, BreakerOpen, async_breaker
from transcripts.heartbeat import any_alive
from transcripts.live import AudioTap

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0
ANNOUNCE_TIMEOUT = 5.0


class NoTranscriber(Exception):
    """No transcription worker has a live heartbeat."""


class CaptionsGate:
    """One per SFU process (``captions_gate()``): the breaker, the rooms with open taps, and the
    check that runs while there are any."""

    def __init__(self, breaker: AsyncBreaker) -> None:
        self.breaker = breaker
        self.rooms: Counter[int] = Counter()  # room id -> open taps
        self._monitor: asyncio.Task[None] | None = None
        self._announcements: set[asyncio.Task[None]] = set()
        self._told_open = False  # the rooms were told captions stopped (a failed probe says nothing new)
        breaker.on_change(self._changed)

    @property
    def open(self) -> bool:
        """Requests are dropped now (open, or probing)."""
        return self.breaker.is_open

    def register(self, room: int) -> None:
        self.rooms[room] += 1
        if self.open:  # a new speaker's room learns it at once, not at the next change
            self._announce([room], available=False)
        if self._monitor is None or self._monitor.done():
            self._monitor = asyncio.get_running_loop().create_task(self._watch(), name="captions-breaker")

    def unregister(self, room: int) -> None:
        self.rooms[room] -= 1
        if self.rooms[room] <= 0:
            del self.rooms[room]
        if not self.rooms and self._monitor is not None:
            self._monitor.cancel()
            self._monitor = None

    async def failed(self, exc: BaseException) -> None:
        """A send failed: one failure for the breaker."""
        with contextlib.suppress(BreakerOpen, type(exc)):
            async with self.breaker.guard():
                raise exc

    async def check(self) -> None:
        """Redis answers and a transcriber is alive, under the breaker (the probe when due)."""
        if self.breaker.state == OPEN and self.breaker.seconds_until_probe() > 0:
            return
        with contextlib.suppress(Exception):  # counted by the breaker; BreakerOpen: not due yet
            async with self.breaker.guard():
                if not await asyncio.wait_for(any_alive(), CHECK_TIMEOUT):
                    raise NoTranscriber()

    async def _watch(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(settings.TRANSCRIBER_HEARTBEAT_SECONDS)

    def _changed(self, state: str) -> None:
        if state == OPEN and not self._told_open:
            self._told_open = True
            logger.warning("Captions unavailable: requests are dropped until a transcriber answers")
            self._announce(list(self.rooms), available=False)
        elif not self.breaker.is_open and self._told_open:
            self._told_open = False
            logger.warning("Captions are back")
            self._announce(list(self.rooms), available=True)

    def _announce(self, rooms: list[int], *, available: bool) -> None:
        if not rooms:
            return
        task = asyncio.get_running_loop().create_task(self._send(rooms, available))
        self._announcements.add(task)  # kept until done: the loop holds tasks only weakly
        task.add_done_callback(self._announcements.discard)

    async def _send(self, rooms: list[int], available: bool) -> None:
        layer = get_channel_layer()
        event = dict(protocol.room_captions_status(available=available))
        for room in rooms:
            try:
                await asyncio.wait_for(layer.group_send(protocol.room_group(room), event), ANNOUNCE_TIMEOUT)
            except Exception as exc:  # Redis itself may be what failed: the people see no captions
                logger.warning("Could not tell room %s about captions: %s", room, exc)


_gates: dict[int, CaptionsGate] = {}


def captions_gate() -> CaptionsGate:
    """The SFU process's gate (one per breaker: a test that resets the breakers gets a new one)."""
    breaker = async_breaker("captions")
    gate = _gates.get(id(breaker))
    if gate is None or gate.breaker is not breaker:
        _gates.clear()
        gate = _gates[id(breaker)] = CaptionsGate(breaker)
    return gate


def make_audio_tap(ctx: Any) -> AudioTap:
    """The SFU's factory (SFU_AUDIO_TAP_FACTORY): a tap behind the process's captions breaker."""
    return AudioTap.from_context(ctx, gate=captions_gate())
