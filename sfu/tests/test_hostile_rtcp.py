"""Crafted RTCP from a subscriber: NACK amplification and PLI floods stay bounded."""

from __future__ import annotations

import asyncio

from conference.testing.hostile import nack, pli, send_raw, under_attack
from conference.testing.peers import wait_for
from sfu.limits import Limits
from sfu.tests.base import TwoMeetingsCase

SECONDS = 2.0


def video_stream(h, participant: int):  # type: ignore[no-untyped-def]
    return next(s.stream for s in h.worker.subscriber_streams(participant) if s.kind == "video")


class NackTests(TwoMeetingsCase):
    limits = Limits(allow_private_candidates=True, rtx_min_interval=1.0, pli_min_interval=0.3)

    async def test_a_nack_naming_the_same_packets_again_and_again_is_answered_once(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            stream = video_stream(h, 2)
            await wait_for(lambda: stream.span > 100 and not stream.waiting, 10, "some video history")
            pid = (stream.next_seq - 40) & 0xFFFF
            data = nack(1, stream.ssrc, [(pid, 0xFFFF)] * 330)  # 17 packets named 330 times, 1.3 kB
            self.assertGreater(len(data), 1300)
            before = stream.rtx_sent
            self.assertTrue(await send_raw(watcher.subscribe_pc, data))
            await asyncio.sleep(0.3)
            self.assertGreater(stream.rtx_sent, before)
            self.assertLessEqual(stream.rtx_sent - before, 17)
            # the same NACK again at once: nothing more within a round trip
            again = stream.rtx_sent
            for _ in range(5):
                await send_raw(watcher.subscribe_pc, data)
            await asyncio.sleep(0.3)  # within rtx_min_interval
            self.assertEqual(stream.rtx_sent, again)
            self.assertGreater(stream.rtx_suppressed, 0)
            self.assert_no_loop_errors()
        finally:
            await self.stop(h)

    async def test_a_nack_naming_thousands_of_packets_is_capped(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            stream = video_stream(h, 2)
            top = stream.next_seq
            data = nack(1, stream.ssrc, [((top - 17 * (i + 1)) & 0xFFFF, 0xFFFF) for i in range(330)])
            before = stream.rtx_sent
            self.assertTrue(await send_raw(watcher.subscribe_pc, data))  # 5,610 packets named
            await asyncio.sleep(0.3)
            self.assertGreater(stream.rtx_sent, before)
            self.assertLessEqual(stream.rtx_sent - before, h.worker.limits.max_nacks_per_packet)
        finally:
            await self.stop(h)

    async def test_an_oversized_datagram_is_dropped_and_the_connection_lives(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            p = h.worker.participants[2]
            ice = watcher.subscribe_pc.getTransceivers()[0].sender.transport.transport
            for _ in range(3):
                await ice._send(bytes([0x80, 200]) + b"\x00" * 2998)  # "RTCP", 3 kB, not even SRTP
            await asyncio.sleep(0.3)
            self.assertGreaterEqual(p.guard.rtcp_dropped, 3)
            self.assertEqual(h.worker.participants[2].subscribe_pc.connectionState, "connected")
            before = watcher.frames[(1, "video")]
            await asyncio.sleep(1.0)
            self.assertGreater(watcher.frames[(1, "video")], before)
            self.assert_no_loop_errors()
        finally:
            await self.stop(h)


class NackBudgetTests(TwoMeetingsCase):
    limits = Limits(allow_private_candidates=True, rtx_packets_per_second=100, pli_min_interval=0.3)

    async def test_a_nack_flood_stays_within_the_retransmission_budget(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            stream = video_stream(h, 2)
            before = stream.rtx_sent

            async def flood(i: int) -> None:
                pid = (stream.next_seq - 1 - 17 * (i % 50)) & 0xFFFF
                await send_raw(watcher.subscribe_pc, nack(1, stream.ssrc, [(pid, 0xFFFF)] * 4))

            probe, sent, frames = await under_attack(h, quiet, SECONDS, flood, per_tick=2)
            self.assert_quiet_unaffected(probe, frames, SECONDS)
            # budget: 100/s with as many saved up, shared by the subscriber's streams
            self.assertLessEqual(stream.rtx_sent - before, 100 * SECONDS + 100 + 10)
            self.assertGreater(stream.rtx_over_budget + stream.rtx_suppressed, 0)
            self.assert_no_loop_errors()
        finally:
            await self.stop(h)


class PliTests(TwoMeetingsCase):
    async def test_a_pli_flood_is_throttled_and_counted(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            stream = video_stream(h, 2)
            source = h.worker.publisher_tracks(1)["video"]
            requested = bad.keyframes_requested

            async def flood(i: int) -> None:
                await send_raw(watcher.subscribe_pc, pli(1, stream.ssrc))

            probe, sent, frames = await under_attack(h, quiet, SECONDS, flood, per_tick=2)
            self.assert_quiet_unaffected(probe, frames, SECONDS)
            self.assertGreater(stream.plis_received, 50)
            self.assertGreater(source.plis_throttled, 50)
            # at most one keyframe request per 0.3 s reaches the publisher (+ slack for timing)
            self.assertLessEqual(bad.keyframes_requested - requested, SECONDS / 0.3 + 3)
            self.assert_no_loop_errors()
        finally:
            await self.stop(h)
