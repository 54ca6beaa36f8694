"""One sender-report pass per subscribe connection instead of one RTCP loop per sender (aiortc 1.16.0
internals, like sfu.aiortc_hooks).

aiortc runs an RTCP task per ``RTCRtpSender``: every 0.5-1.5 s it wakes, builds an SR and an SDES
for that one sender, protects and sends them. A subscribe PC holds an audio, camera and screen
sender per publisher, so a subscriber of a 12-publisher meeting costs 36 timers and about 36
protect + sendto a second. Here each sender's RTCP task only registers it with its DTLS transport's
:class:`SenderReports` and waits; that object's one task sends, at aiortc's interval, the SRs of
every registered sender that has sent media (a sender with nothing sent has nothing to report) with
their SDES, packed into as few compound datagrams as fit ``MAX_RTCP_DATAGRAM``. The counters, the
``lsr`` that round-trip times are measured against, and the BYE when a sender stops (not when it
is parked: sfu.aiortc_hooks_guard.quiet_rtp) stay aiortc's.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtcpByePacket, RtcpSdesPacket, RtcpSenderInfo, RtcpSourceInfo, RtcpSrPacket

logger = logging.getLogger(__name__)

MAX_RTCP_DATAGRAM = 1200  # bytes before SRTP's tag: below any path's MTU


class SenderReports:
    """The sender reports of one DTLS transport's senders; owns one task while it has senders."""

    def __init__(self, dtls: Any) -> None:
        self.dtls = dtls
        self.senders: list[RTCRtpSender] = []
        self.datagrams_sent = 0
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, dtls: Any) -> SenderReports:
        reports = getattr(dtls, "_sfu_sender_reports", None)
        if reports is None:
            reports = cls(dtls)
            dtls._sfu_sender_reports = reports
        return reports

    def add(self, sender: RTCRtpSender) -> None:
        if sender not in self.senders:
            self.senders.append(sender)
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def discard(self, sender: RTCRtpSender) -> None:
        if sender in self.senders:
            self.senders.remove(sender)
        if not self.senders and self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.5 + random.random())  # aiortc's interval
            try:
                for datagram in self.datagrams():
                    await self.dtls._send_rtp(datagram)
                    self.datagrams_sent += 1
            except ConnectionError:
                pass
            except Exception:  # one bad report must not end the reports of the others
                logger.exception("sender reports failed")

    def datagrams(self) -> list[bytes]:
        """Compound RTCP (SRs, then one SDES) of every sender that has sent media."""
        now = time.time()
        out: list[bytes] = []
        srs: list[bytes] = []
        chunks: list[RtcpSourceInfo] = []
        size = 0
        for sender in self.senders:
            packet_count = sender._RTCRtpSender__packet_count  # type: ignore[attr-defined]
            if not packet_count:
                continue
            ntp = sender._RTCRtpSender__ntp_timestamp  # type: ignore[attr-defined]
            sr = bytes(
                RtcpSrPacket(
                    ssrc=sender._ssrc,
                    sender_info=RtcpSenderInfo(
                        ntp_timestamp=ntp,
                        rtp_timestamp=sender._RTCRtpSender__rtp_timestamp,  # type: ignore[attr-defined]
                        packet_count=packet_count & 0xFFFFFFFF,
                        octet_count=sender._RTCRtpSender__octet_count & 0xFFFFFFFF,  # type: ignore[attr-defined]
                    ),
                )
            )
            sender._RTCRtpSender__lsr = (ntp >> 16) & 0xFFFFFFFF  # type: ignore[attr-defined]
            sender._RTCRtpSender__lsr_time = now  # type: ignore[attr-defined]
            cname = sender._RTCRtpSender__cname  # type: ignore[attr-defined]
            chunk = RtcpSourceInfo(ssrc=sender._ssrc, items=[(1, cname.encode())]) if cname else None
            cost = len(sr) + (12 + len(cname) if cname else 0) + 4
            if srs and size + cost > MAX_RTCP_DATAGRAM:
                out.append(self._compound(srs, chunks))
                srs, chunks, size = [], [], 0
            srs.append(sr)
            if chunk is not None:
                chunks.append(chunk)
            size += cost
        if srs:
            out.append(self._compound(srs, chunks))
        return out

    @staticmethod
    def _compound(srs: list[bytes], chunks: list[RtcpSourceInfo]) -> bytes:
        return b"".join(srs) + (bytes(RtcpSdesPacket(chunks=chunks)) if chunks else b"")


def batch_sender_reports(sender: RTCRtpSender) -> None:
    """Replace the sender's own RTCP loop by its DTLS transport's SenderReports."""

    async def run_rtcp() -> None:
        reports = SenderReports.of(sender.transport)
        sender._RTCRtpSender__rtcp_started.set()  # type: ignore[attr-defined]
        reports.add(sender)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
        finally:
            await reports.discard(sender)
        await sender._send_rtcp([RtcpByePacket(sources=[sender._ssrc])])  # aiortc's, on stop
        sender._RTCRtpSender__rtcp_exited.set()  # type: ignore[attr-defined]

    sender._run_rtcp = run_rtcp  # type: ignore[method-assign]
