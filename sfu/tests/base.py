"""A test case with two meetings on one worker: a hostile one and a quiet one that must not notice."""

from __future__ import annotations

import asyncio
from typing import Any

from django.test import SimpleTestCase

from conference.testing.hostile import HOSTILE_MEETING, Harness, Probe, quiet_meeting
from conference.testing.peers import BrowserPeer, wait_for
from sfu.limits import Limits

# Bounds for the quiet meeting while the other one misbehaves (generous: the machine is shared,
# and the hostile peers run in the same process and loop as the SFU).
MAX_P95 = 0.3  # seconds per command
MAX_LAG = 1.5  # seconds of event-loop lag: far above a loaded 2-core machine's noise (~0.5 s), far below what the unbounded attacks cost (seconds)
MIN_FRAMES_PER_SECOND = 5


class TwoMeetingsCase(SimpleTestCase):
    limits: Limits | None = None

    async def start(self, *, hostile_publishes: bool = True) -> tuple[Harness, Any, BrowserPeer, BrowserPeer]:
        self.loop_errors: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        self._old_handler = loop.get_exception_handler()
        loop.set_exception_handler(lambda _loop, context: self.loop_errors.append(context))
        h = Harness(self.limits)
        quiet = await quiet_meeting(h)
        bad = await h.join(1, HOSTILE_MEETING, publish=hostile_publishes)
        watcher = await h.join(2, HOSTILE_MEETING, publish=False)
        if hostile_publishes:
            await wait_for(lambda: watcher.frames[(1, "video")] >= 3, 15, "video in the hostile meeting")
        else:
            await wait_for(
                lambda: bad.subscribe_pc.connectionState == "connected", 15, "the hostile connection"
            )
        return h, quiet, bad, watcher

    async def stop(self, h: Harness) -> None:
        await h.close()
        asyncio.get_running_loop().set_exception_handler(self._old_handler)

    def assert_quiet_unaffected(self, probe: Probe, frames: int, seconds: float) -> None:
        self.assertGreater(len(probe.latencies), 5, "the quiet meeting's commands were not answered")
        self.assertLess(probe.p95, MAX_P95, f"quiet meeting command p95 {probe.p95:.3f} s")
        self.assertLess(probe.max_lag, MAX_LAG, f"event loop lag {probe.max_lag:.3f} s")
        self.assertGreaterEqual(frames, MIN_FRAMES_PER_SECOND * seconds, "quiet meeting's video stalled")

    def assert_no_loop_errors(self) -> None:
        self.assertEqual(self.loop_errors, [], "an exception escaped into the event loop")

    def assert_meetings_alive(self, h: Harness) -> None:
        for meeting in h.worker.meetings.values():
            self.assertFalse(meeting.task.done(), f"meeting {meeting.id}'s task died")
