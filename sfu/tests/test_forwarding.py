"""Real aiortc peers on 127.0.0.1 through an in-process SfuWorker: media fan-out and repair.

How fast a late joiner sees video is measured by bench/sfu_late_join.py.
"""

from __future__ import annotations

import asyncio
import time

from django.test import SimpleTestCase

from conference.testing.peers import BrowserPeer, SfuHarness, wait_for
from sfu import aiortc_hooks


class FanOutTests(SimpleTestCase):
    async def start_meeting(self, h: SfuHarness) -> tuple[BrowserPeer, BrowserPeer, BrowserPeer]:
        """A publisher (1) and two subscribers (2, 3) that receive its video and audio."""
        pub = await h.join(1)
        sub_a = await h.join(2, publish=False)
        sub_b = await h.join(3, publish=False)
        for sub in (sub_a, sub_b):
            await wait_for(lambda s=sub: s.frames[(1, "video")] >= 10, 15, "video frames at a subscriber")
            await wait_for(lambda s=sub: s.frames[(1, "audio")] >= 10, 5, "audio frames at a subscriber")
        return pub, sub_a, sub_b

    async def test_every_subscriber_gets_video_and_audio(self) -> None:
        h = SfuHarness()
        try:
            _pub, sub_a, sub_b = await self.start_meeting(h)
            self.assertEqual(sub_a.errors + sub_b.errors, [])
            source = h.worker.publisher_tracks(1)["video"]
            self.assertGreater(source.packets_received, 0)
        finally:
            await h.close()

    async def test_the_sfu_decodes_no_video(self) -> None:
        h = SfuHarness()
        video_decoders_before = aiortc_hooks.decoder_counts["video"]
        try:
            await self.start_meeting(h)
            # The SFU created no video decoder; the subscribers did (one each).
            self.assertEqual(h.worker.video_decoder_count, 0)
            self.assertEqual(aiortc_hooks.decoder_counts["video"] - video_decoders_before, 2)
        finally:
            await h.close()

    async def test_a_subscribers_pli_reaches_the_publisher(self) -> None:
        h = SfuHarness()
        try:
            pub, sub_a, _sub_b = await self.start_meeting(h)
            requested = pub.keyframes_requested
            receiver = sub_a.receiver_for(1, "video")
            ssrc = next(s.source for s in receiver.getSynchronizationSources())

            # The SFU forwards at most one PLI per pli_min_interval (the joins sent some): ask
            # again until one gets through, instead of sleeping past the interval.
            deadline = time.monotonic() + 3
            while pub.keyframes_requested <= requested:
                self.assertLess(time.monotonic(), deadline, "the PLI at the publisher")
                await receiver._send_rtcp_pli(ssrc)
                await asyncio.sleep(0.05)
            stream = next(s.stream for s in h.worker.subscriber_streams(2) if s.kind == "video")
            self.assertGreaterEqual(stream.plis_received, 1)
        finally:
            await h.close()

    async def test_a_nack_is_answered_from_the_shared_history_as_rtx(self) -> None:
        h = SfuHarness()
        try:
            _pub, sub_a, _sub_b = await self.start_meeting(h)
            receiver = sub_a.receiver_for(1, "video")
            ssrc = next(s.source for s in receiver.getSynchronizationSources())
            stream = next(s.stream for s in h.worker.subscriber_streams(2) if s.kind == "video")
            rtx_before = stream.rtx_sent
            await receiver._send_rtcp_nack(
                ssrc, [(stream.next_seq - 5) & 0xFFFF, (stream.next_seq - 4) & 0xFFFF]
            )
            await wait_for(lambda: stream.rtx_sent >= rtx_before + 2, 3, "RTX answers to the NACK")
        finally:
            await h.close()

    async def test_a_late_joiner_gets_video_without_decoding_at_the_sfu(self) -> None:
        h = SfuHarness()
        try:
            await self.start_meeting(h)
            late = await h.join(4, publish=False)
            await wait_for(lambda: late.frames[(1, "video")] >= 1, 10, "video at the late joiner")
            assert late.subscribe_connected_at is not None
            late_stream = next(s.stream for s in h.worker.subscriber_streams(4) if s.kind == "video")
            self.assertGreater(late_stream.packets_sent, 0)
            self.assertEqual(h.worker.video_decoder_count, 0)
        finally:
            await h.close()
