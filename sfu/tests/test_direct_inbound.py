"""The direct inbound path (sfu.aiortc_hooks_inbound): a publisher's media skips aiortc's queue and
DTLS reader, and what the SFU owes the publisher (receiver reports, NACKs, REMB) still goes out."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from django.test import SimpleTestCase

from conference.testing.hostile import Harness, dtls, payload_types, publisher_ssrcs
from conference.testing.peers import wait_for
from sfu.metrics import participant_counts
from sfu.rtp import parse_rtp

MEETING = 7


def is_rtp(data: bytes) -> bool:
    return len(data) >= 12 and 127 < data[0] < 192 and not 192 <= data[1] <= 208


class DirectInboundTests(SimpleTestCase):
    async def start(self) -> tuple[Harness, Any, Any]:
        h = Harness()
        publisher = await h.join(1, MEETING)
        viewer = await h.join(2, MEETING, publish=False)
        await wait_for(lambda: viewer.frames[(1, "video")] >= 5, 15, "video at the viewer")
        return h, publisher, viewer

    def sfu_connection(self, h: Harness) -> Any:
        """aioice's connection of the SFU's publish PC for participant 1."""
        return dtls(h.worker.participants[1].publish_pc).transport._connection

    async def test_media_takes_the_direct_path_and_reports_reach_the_publisher(self) -> None:
        h, publisher, viewer = await self.start()
        try:
            p = h.worker.participants[1]
            video = h.worker.publisher_tracks(1)["video"]
            before = p.guard.direct_packets
            frames = viewer.frames[(1, "video")]
            await wait_for(lambda: viewer.frames[(1, "video")] >= frames + 20, 15, "more video")
            self.assertGreater(p.guard.direct_packets - before, 20)
            self.assertGreater(video.packets_received, 20)
            self.assertEqual(p.guard.srtp_dropped, 0)
            # aiortc's receiver-report statistics are fed: its RTCP task reports on the stream...
            streams = p.publish_pc.getTransceivers()[1].receiver._RTCRtpReceiver__remote_streams
            ssrc = publisher_ssrcs(publisher)["video"]
            self.assertGreater(streams[ssrc].packets_received, 20)

            # ... and the publisher's sender gets those receiver reports (remote-inbound stats).
            async def reported() -> bool:
                report = await publisher.publish_pc.getStats()
                return any(s.type == "remote-inbound-rtp" and s.kind == "video" for s in report.values())

            for _ in range(60):
                if await reported():
                    break
                await asyncio.sleep(0.1)
            self.assertTrue(await reported(), "no receiver report reached the publisher")
        finally:
            await h.close()

    async def test_a_lost_packet_is_nacked_and_its_retransmission_arrives(self) -> None:
        h, publisher, viewer = await self.start()
        try:
            video = h.worker.publisher_tracks(1)["video"]
            ssrc = publisher_ssrcs(publisher)["video"]
            connection = self.sfu_connection(h)
            original = connection.data_received
            lost: list[int] = []

            def lossy(data: bytes, component: int) -> None:
                # One video packet is lost before the SFU sees it (its seq is in clear).
                if not lost and is_rtp(data) and int.from_bytes(data[8:12]) == ssrc:
                    lost.append((data[2] << 8) | data[3])
                    return
                original(data, component)

            connection.data_received = lossy
            nacks = video.nacks_sent
            await wait_for(lambda: bool(lost), 5, "a packet to lose")
            await wait_for(lambda: video.nacks_sent > nacks, 5, "a NACK to the publisher")
            # The publisher retransmits it (RTX, aiortc's path: unwrapped into the history).
            await wait_for(lambda: video.history.get(lost[0]) is not None, 5, "the retransmission")
            frames = viewer.frames[(1, "video")]
            await wait_for(lambda: viewer.frames[(1, "video")] >= frames + 10, 10, "video after the loss")
        finally:
            await h.close()

    async def test_bad_srtp_is_dropped_and_counted(self) -> None:
        h, publisher, viewer = await self.start()
        try:
            p = h.worker.participants[1]
            ssrc, pt = publisher_ssrcs(publisher)["video"], payload_types(publisher)["video"]
            ice = dtls(publisher.publish_pc).transport._connection  # the publisher's side
            for i in range(20):  # a known SSRC and payload type (the direct path), a forged tag
                forged = struct.pack("!BBHII", 0x80, pt, (40_000 + i) & 0xFFFF, i, ssrc) + b"\x10" * 60
                await ice.send(forged)
            await wait_for(lambda: p.guard.srtp_dropped >= 20, 5, "the forged packets counted")
            counts = participant_counts(p)
            self.assertGreaterEqual(counts["dropped_bad_srtp"], 20)
            self.assertEqual(counts["dropped_malformed_rtp"], 0)
            frames = viewer.frames[(1, "video")]
            await wait_for(lambda: viewer.frames[(1, "video")] >= frames + 10, 10, "video after them")
        finally:
            await h.close()


class ParseRtpTests(SimpleTestCase):
    def test_fields_extensions_padding_and_truncation(self) -> None:
        header = struct.pack("!BBHII", 0xB0, 0x80 | 96, 513, 90_000, 0xDEADBEEF)  # X, P, marker
        ext = struct.pack("!HH", 0xBEDE, 2) + bytes([0x10, 0x61, 0x32, 0x01, 0x02, 0x03, 0x00, 0x00])
        data = header + ext + b"payload" + b"\x00\x00\x03"
        self.assertEqual(parse_rtp(data, 3), (96, 1, 513, 90_000, 0xDEADBEEF, b"payload", 3, 0x010203))
        self.assertEqual(parse_rtp(data, 0)[7], -1)  # type: ignore[index]
        for n in range(len(header) + len(ext)):
            self.assertIsNone(parse_rtp(data[:n], 3), n)
        self.assertIsNone(parse_rtp(header + ext + b"\x00\x00\xff", 3))  # padding beyond payload
        self.assertIsNone(parse_rtp(b"\x40" + data[1:], 3))  # version 1
