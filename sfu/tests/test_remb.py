"""REMB to a publisher: aiortc's estimates, at most one per REMB_MIN_INTERVAL unless they fall."""

from __future__ import annotations

import asyncio

from aiortc.rtp import RTCP_PSFB_APP, RtcpPacket, RtcpPsfbPacket, unpack_remb_fci
from django.test import SimpleTestCase

from conference.testing.peers import SfuHarness, wait_for
from sfu.rtp import REMB_MIN_INTERVAL, RembPacer


class RembPacerTests(SimpleTestCase):
    def test_one_per_interval_and_a_fall_at_once(self) -> None:
        pacer = RembPacer()
        self.assertTrue(pacer.due(1_000_000, 10.0))
        self.assertFalse(pacer.due(1_000_000, 10.05))  # same estimate, too soon
        self.assertFalse(pacer.due(1_100_000, 10.1))  # a rise waits
        self.assertTrue(pacer.due(900_000, 10.12))  # a fall of 10 % goes at once
        self.assertFalse(pacer.due(880_000, 10.15))  # 2 % lower: waits
        self.assertTrue(pacer.due(880_000, 10.13 + REMB_MIN_INTERVAL))
        self.assertEqual((pacer.sent, pacer.held), (3, 3))


class RembToPublisherTests(SimpleTestCase):
    async def test_the_publisher_gets_rembs_but_not_one_per_packet(self) -> None:
        h = SfuHarness()
        try:
            pub = await h.join(1)
            sub = await h.join(2, publish=False, decode=False)
            await wait_for(lambda: sub.frames[(1, "video")] >= 10, 15, "video")
            rembs: list[int] = []
            dtls = pub.publish_pc.getTransceivers()[0].sender.transport
            original = dtls._handle_rtcp_data

            async def handle(data: bytes) -> None:
                for p in RtcpPacket.parse(data):
                    if isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_APP:
                        rembs.append(unpack_remb_fci(p.fci)[0])
                await original(data)

            dtls._handle_rtcp_data = handle
            source = h.worker.publisher_tracks(1)["video"]
            # aiortc's rate control gives its first estimate after a few seconds of media
            await wait_for(lambda: len(rembs) >= 1, 15, "a first REMB at the publisher")
            first, sent, received = len(rembs), source.remb.sent, source.packets_received
            await asyncio.sleep(2.0)
            self.assertGreater(source.packets_received - received, 100)
            self.assertGreaterEqual(len(rembs) - first, 1)  # the publisher keeps learning the estimate
            self.assertLess(len(rembs) - first, 2.0 / REMB_MIN_INTERVAL + 6)  # not one per packet
            self.assertEqual(source.remb.sent - sent, len(rembs) - first)
            self.assertTrue(all(r > 0 for r in rembs))
        finally:
            await h.close()
