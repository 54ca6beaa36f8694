"""Sender reports: one pass per subscribe connection (sfu.aiortc_hooks_rtcp), real aiortc peers."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.rtp import RtcpByePacket, RtcpPacket, RtcpSdesPacket, RtcpSrPacket
from django.test import SimpleTestCase

from conference.testing.peers import SfuHarness, wait_for
from sfu.aiortc_hooks_rtcp import MAX_RTCP_DATAGRAM, SenderReports


def record_rtcp(pc: Any) -> list[list[Any]]:
    """Every RTCP datagram pc receives, parsed (aiortc still handles it)."""
    datagrams: list[list[Any]] = []
    dtls = pc.getTransceivers()[0].receiver.transport
    original = dtls._handle_rtcp_data

    async def handle(data: bytes) -> None:
        datagrams.append(RtcpPacket.parse(data))
        await original(data)

    dtls._handle_rtcp_data = handle
    return datagrams


class SenderReportTests(SimpleTestCase):
    async def test_one_report_pass_per_connection_for_the_streams_that_carry_media(self) -> None:
        h = SfuHarness()
        try:
            await h.join(1)
            await h.join(3)
            sub = await h.join(2, publish=False, decode=False)
            for publisher in (1, 3):
                await wait_for(lambda p=publisher: sub.frames[(p, "video")] >= 5, 15, f"video of {publisher}")
            datagrams = record_rtcp(sub.subscribe_pc)
            slots = h.worker.subscriber_streams(2)
            self.assertEqual(len(slots), 6)  # audio, camera, screen of publishers 1 and 3
            reports = SenderReports.of(slots[0].stream.sender.transport)
            self.assertEqual(len(reports.senders), 6)  # every sender registered, one task for all
            sent = {s.stream.ssrc for s in slots if s.kind != "screen"}
            await wait_for(lambda: len(datagrams) >= 3, 6, "three report passes")
            for packets in datagrams:
                self.assertIsInstance(packets[0], RtcpSrPacket)  # a compound packet starts with an SR
                srs = {p.ssrc: p for p in packets if isinstance(p, RtcpSrPacket)}
                self.assertEqual(set(srs), sent)  # one datagram, the 4 streams with media, no screen
                sdes = [p for p in packets if isinstance(p, RtcpSdesPacket)]
                self.assertEqual({c.ssrc for c in sdes[0].chunks}, sent)
                for sr in srs.values():
                    self.assertGreater(sr.sender_info.packet_count, 0)
                    self.assertGreater(sr.sender_info.ntp_timestamp, 0)
            first = {p.ssrc: p.sender_info.packet_count for p in datagrams[0] if isinstance(p, RtcpSrPacket)}
            last = {p.ssrc: p.sender_info.packet_count for p in datagrams[-1] if isinstance(p, RtcpSrPacket)}
            self.assertTrue(all(last[s] > first[s] for s in sent))
        finally:
            await h.close()

    async def test_a_leaving_subscriber_says_bye_and_its_report_task_ends(self) -> None:
        h = SfuHarness()
        try:
            await h.join(1)
            sub = await h.join(2, publish=False, decode=False)
            await wait_for(lambda: sub.frames[(1, "video")] >= 5, 15, "video")
            datagrams = record_rtcp(sub.subscribe_pc)
            reports = SenderReports.of(h.worker.subscriber_streams(2)[0].stream.sender.transport)
            task = reports._task
            self.assertIsNotNone(task)
            pc = h.worker.participants[2].subscribe_pc
            await asyncio.wait_for(pc.close(), 10)
            self.assertTrue(task.done())  # type: ignore[union-attr]
            self.assertEqual(reports.senders, [])
            await wait_for(
                lambda: any(isinstance(p, RtcpByePacket) for d in datagrams for p in d), 3, "a BYE"
            )
        finally:
            await h.close()

    def test_many_senders_are_split_into_datagrams_that_fit(self) -> None:
        class FakeSender:
            def __init__(self, ssrc: int) -> None:
                self._ssrc = ssrc
                self._RTCRtpSender__packet_count = 10
                self._RTCRtpSender__octet_count = 1000
                self._RTCRtpSender__ntp_timestamp = 1 << 40
                self._RTCRtpSender__rtp_timestamp = 90000
                self._RTCRtpSender__cname = "{a3b6a7f1-0000-4000-8000-000000000000}"

        reports = SenderReports(dtls=None)
        reports.senders = [FakeSender(1000 + i) for i in range(36)]  # type: ignore[list-item]
        datagrams = reports.datagrams()
        self.assertGreater(len(datagrams), 1)
        seen: list[int] = []
        for data in datagrams:
            self.assertLessEqual(len(data), MAX_RTCP_DATAGRAM)
            packets = RtcpPacket.parse(data)
            self.assertIsInstance(packets[0], RtcpSrPacket)
            seen += [p.ssrc for p in packets if isinstance(p, RtcpSrPacket)]
        self.assertEqual(seen, [1000 + i for i in range(36)])
        self.assertEqual(reports.senders[0]._RTCRtpSender__lsr, (1 << 40 >> 16) & 0xFFFFFFFF)  # type: ignore[attr-defined]
