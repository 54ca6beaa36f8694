"""Meetings on one worker do not wait on each other; limits give clear errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from django.test import SimpleTestCase

from conference.testing.hostile import Harness, join_message, probe, quiet_meeting
from conference.testing.peers import wait_for
from sfu.limits import Limits


class SlowTap:
    """An audio tap whose close takes seconds (a transcriber far away)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.closed = False

    def feed(self, payload: bytes, rtp_timestamp: int, arrival: float) -> None:
        pass

    def set_muted(self, muted: bool) -> None:
        pass

    async def close(self) -> int:
        await asyncio.sleep(self.seconds)
        self.closed = True
        return 3


class IsolationTests(SimpleTestCase):
    async def test_a_slow_teardown_blocks_no_command(self) -> None:
        taps: list[SlowTap] = []

        def factory(context: Any) -> SlowTap:
            taps.append(SlowTap(2.0))
            return taps[-1]

        h = Harness(audio_tap_factory=factory)
        try:
            quiet = await quiet_meeting(h)
            message = join_message(1, 1) | {"captions": True}
            await h.worker.call(message)
            start = time.monotonic()
            leave, probed = await asyncio.gather(
                h.worker.call({"type": "sfu.leave", "participant": 1}), probe(h.worker, 102, 1.0)
            )
            self.assertLess(time.monotonic() - start, 1.5)  # the probe's second, not the tap's two
            self.assertLess(probed.p95, 0.1)
            self.assertFalse(taps[0].closed)
            # the flush goes out after the tap closed, with its finals
            await wait_for(lambda: any(c == "transcribe" for c, _ in h.sent), 5, "the flush")
            self.assertTrue(taps[0].closed)
            flush = next(m for c, m in h.sent if c == "transcribe")
            self.assertEqual(flush["finals"], 3)
            self.assertGreater(quiet[1].frames[(101, "video")], 0)
        finally:
            await h.close()

    async def test_handle_returns_at_once_while_a_meeting_is_busy(self) -> None:
        h = Harness()
        try:
            await h.worker.call(join_message(1, 1))
            start = time.monotonic()
            for _ in range(100):  # commands pile up in meeting 1's queue only
                await h.worker.handle({"type": "sfu.keyframe", "participant": 1, "from_participant": 1})
            self.assertLess(time.monotonic() - start, 0.1)
            await h.worker.call(join_message(2, 2))
            self.assertIn(2, h.worker.participants)
        finally:
            await h.close()

    async def test_close_ends_every_task_it_started(self) -> None:
        h = Harness()
        before = len(asyncio.all_tasks())
        await quiet_meeting(h)
        await h.close()
        self.assertEqual(h.worker.closers, 0)
        self.assertEqual(h.worker.meetings, {})
        await asyncio.sleep(0.5)
        self.assertLessEqual(len(asyncio.all_tasks()), before + 2)


class LimitTests(SimpleTestCase):
    async def test_meeting_full_server_full_and_publishers_full(self) -> None:
        limits = Limits(
            allow_private_candidates=True,
            max_participants_per_meeting=2,
            max_participants_per_worker=3,
            max_publishers_per_meeting=1,
        )
        h = Harness(limits)
        try:
            await h.join(1, 1)
            await wait_for(lambda: h.peers[1].publish_answered.is_set(), 10, "the first publish answer")
            second = await h.join(2, 1)  # joins, but may not publish: one publisher per meeting
            await wait_for(lambda: h.errors(2), 5, "the publishers-full error")
            self.assertEqual(h.errors(2)[0]["code"], "publishers-full")
            self.assertIn("You can still see and hear everyone", h.errors(2)[0]["message"])
            await wait_for(
                lambda: second.frames[(1, "video")] > 0, 15, "video at the one who may not publish"
            )
            await h.worker.call(join_message(3, 1))
            self.assertEqual([e["code"] for e in h.errors(3)], ["meeting-full"])
            self.assertIn("full", h.errors(3)[0]["message"])
            self.assertFalse(h.worker.full)
            await h.worker.call(join_message(4, 2))
            self.assertTrue(h.worker.full)
            await h.worker.call(join_message(5, 3))
            self.assertEqual([e["code"] for e in h.errors(5)], ["server-full"])
            self.assertNotIn(5, h.worker.routes)
        finally:
            await h.close()

    async def test_keyframe_requests_stay_within_the_senders_meeting(self) -> None:
        h = Harness()
        try:
            pub, sub = await quiet_meeting(h)  # meeting 2: publisher 101
            await h.worker.call(join_message(7, 1))
            source = h.worker.publisher_tracks(101)["video"]
            await asyncio.sleep(0.4)
            sent = source.plis_sent
            await h.worker.call({"type": "sfu.keyframe", "participant": 101, "from_participant": 7})
            self.assertEqual(source.plis_sent, sent)
            self.assertEqual([e["code"] for e in h.errors(7)], ["unknown-participant"])
            await h.worker.call({"type": "sfu.keyframe", "participant": 101, "from_participant": 102})
            self.assertEqual(source.plis_sent, sent + 1)
            await h.worker.call({"type": "sfu.keyframe", "participant": 101})
            self.assertEqual(source.plis_sent, sent + 1)  # no sender: refused
        finally:
            await h.close()
