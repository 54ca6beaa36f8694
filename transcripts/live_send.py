"""The caption tap's outgoing requests: one task per tap sends them in order, retries finals,
drops interims that are stale or would pile up, and obeys the captions breaker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from conference.protocol import TranscribeRequest

if TYPE_CHECKING:
    from transcripts.captions_breaker import CaptionsGate

logger = logging.getLogger("transcripts.live")  # the tap's logger: one name for captions' sending

SEND_RETRIES = 3
SEND_TIMEOUT = 5.0
CLOSE_TIMEOUT = 10.0  # close() waits at most this long for queued requests to go out

Send = Callable[[str, dict[str, Any]], Awaitable[None]]


class RequestQueue:
    def __init__(
        self,
        *,
        send: Send,
        channel: str,
        name: str,
        is_current: Callable[[str], bool],
        gate: CaptionsGate | None = None,
    ) -> None:
        self._send = send
        self.channel = channel
        self._name = name
        self._is_current = is_current  # is this utterance still being spoken (no final queued)?
        self._gate = gate  # None: always send, as in tests that feed a tap directly
        self._queue: asyncio.Queue[TranscribeRequest] = asyncio.Queue()
        self._interim_pending = 0
        self._task: asyncio.Task[None] | None = None
        self.finals_sent = 0
        self.finals_failed = 0
        self.interims_sent = 0
        self.interims_dropped = 0
        self.finals_dropped = 0  # not sent: the captions breaker was open

    @property
    def interim_waiting(self) -> bool:
        """The previous interim has not left yet: the queue is backing up."""
        return self._interim_pending > 0

    def put(self, request: TranscribeRequest) -> None:
        if self._breaker_dropped(request):
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._sender(), name=self._name)
        if not request["final"]:
            self._interim_pending += 1
        self._queue.put_nowait(request)

    async def close(self) -> None:
        """Let the queued requests out (bounded), then stop the task."""
        if self._task is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._queue.join(), CLOSE_TIMEOUT)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def _breaker_dropped(self, request: TranscribeRequest) -> bool:
        """The breaker is open: drop the request (counted), do not send it."""
        if self._gate is None or not self._gate.open:
            return False
        if request["final"]:
            self.finals_dropped += 1
        else:
            self.interims_dropped += 1
        return True

    async def _sender(self) -> None:
        while True:
            request = await self._queue.get()
            try:
                if request["final"]:
                    if not self._breaker_dropped(request):
                        await self._send_final(request)
                else:
                    self._interim_pending -= 1
                    if self._breaker_dropped(request):
                        continue
                    if not self._is_current(request["utterance"]):
                        continue  # its final is queued behind it: the interim would only flicker
                    await self._send_interim(request)
            finally:
                self._queue.task_done()

    async def _send_interim(self, request: TranscribeRequest) -> None:
        request["sent_at"] = time.time()
        try:
            await asyncio.wait_for(self._send(self.channel, dict(request)), SEND_TIMEOUT)
            self.interims_sent += 1
        except Exception as exc:  # an interim is worth nothing a second later
            logger.warning("Interim caption request lost: %s", exc)
            if self._gate is not None:
                await self._gate.failed(exc)

    async def _send_final(self, request: TranscribeRequest) -> None:
        for attempt in range(SEND_RETRIES):
            request["sent_at"] = time.time()
            try:
                await asyncio.wait_for(self._send(self.channel, dict(request)), SEND_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("Final caption request not sent (attempt %s): %s", attempt + 1, exc)
                if self._gate is not None:
                    await self._gate.failed(exc)
                    if self._breaker_dropped(request):
                        return  # the breaker opened meanwhile: dropped, not retried
                await asyncio.sleep(0.2 * (attempt + 1))
            else:
                self.finals_sent += 1
                return
        # Not counted: the flush must only announce finals that workers can actually see.
        self.finals_failed += 1
        logger.error("Final caption of %s lost after %s attempts", request["utterance"], SEND_RETRIES)
