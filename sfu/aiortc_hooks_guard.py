"""Bounds on what a client can make aiortc 1.16.0 do (aiortc internals, like sfu.aiortc_hooks).

- :class:`InboundGuard`: per participant, as a datagram leaves the socket (before aioice queues
  it and aiortc parses anything): a packet and bitrate budget for RTP, a rate and size cap for
  RTCP; and per connection a cap on the SSRCs aiortc's router will learn (never pruned).
- :class:`BoundedNackGenerator`: aiortc's NACK generator walks every missing sequence number;
  ours resets the stream on a jump beyond a window instead.
- Parking a subscribe-PC sender: a free slot's RTCP task is stopped, and started again when the
  slot is reused; the RTP task of our senders never runs (forwarding bypasses it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtcpByePacket

from sfu.aiortc_hooks_inbound import DirectInbound, install_stun_demux
from sfu.guards import TokenBucket
from sfu.limits import Limits

logger = logging.getLogger(__name__)

# BoundedNackGenerator.add() results
SEQ_OK, SEQ_MISSED, SEQ_RESET = 0, 1, 2
NACK_HISTORY = 128
MAX_DATAGRAM = 1500  # pylibsrtp's buffer: a longer SRTP datagram raises ValueError inside aiortc  # aiortc's RTP_HISTORY_SIZE: missing numbers older than this are forgotten


class BoundedNackGenerator:
    """Drop-in for aiortc's NackGenerator (``add``, ``missing``, ``max_seq``) with bounded work."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.max_seq: int | None = None
        self.missing: set[int] = set()
        self.resets = 0

    def add(self, packet: Any) -> bool:
        return self.check(packet.sequence_number) == SEQ_MISSED

    def check(self, seq: int) -> int:
        max_seq = self.max_seq
        if max_seq is None:
            self.max_seq = seq
            return SEQ_OK
        delta = (seq - max_seq) & 0xFFFF
        if delta == 0:
            return SEQ_OK
        if delta < 0x8000:  # newer
            if delta > self.window:
                self.max_seq = seq
                self.missing.clear()
                self.resets += 1
                return SEQ_RESET
            self.max_seq = seq
            if delta == 1:
                if self.missing:
                    self._truncate(seq)
                return SEQ_OK
            for i in range(max(1, delta - NACK_HISTORY), delta):
                self.missing.add((max_seq + i) & 0xFFFF)
            self._truncate(seq)
            return SEQ_MISSED
        if 0x10000 - delta > self.window:  # far in the past: a new stream start
            self.max_seq = seq
            self.missing.clear()
            self.resets += 1
            return SEQ_RESET
        self.missing.discard(seq)
        return SEQ_OK

    def _truncate(self, max_seq: int) -> None:
        if len(self.missing) > NACK_HISTORY // 2:
            self.missing = {s for s in self.missing if (max_seq - s) & 0xFFFF <= NACK_HISTORY}


class InboundGuard:
    """What one participant may send the SFU: installed on its publish and subscribe PCs."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.packets = TokenBucket(limits.publisher_packets_per_second, limits.publisher_packets_per_second)
        bits = limits.publisher_kbps * 1000
        self.bits = TokenBucket(bits, bits)
        self.rtcp = TokenBucket(limits.rtcp_packets_per_second, limits.rtcp_packets_per_second)
        self.rtp_dropped = 0  # over the packet or bitrate budget
        self.rtcp_dropped = 0  # over the RTCP rate or too large
        self.ssrc_dropped = 0  # unknown SSRC once the connection has its share
        self._transports: list[Any] = []
        self._direct: list[DirectInbound] = []

    @property
    def srtp_dropped(self) -> int:
        """Publishers' RTP that failed SRTP authentication (or replay) on the direct path."""
        return sum(d.srtp_failed for d in self._direct)

    @property
    def direct_packets(self) -> int:
        """Publishers' RTP taken by the direct inbound path (sfu.aiortc_hooks_inbound)."""
        return sum(d.packets for d in self._direct)

    def install(self, pc: RTCPeerConnection) -> None:
        """Guard every DTLS transport of pc (call again after each negotiation: bundling)."""
        for transceiver in pc.getTransceivers():
            for transport in (transceiver.receiver.transport, transceiver.sender.transport):
                if transport is not None and not any(t is transport for t in self._transports):
                    self._guard(transport)

    def _guard(self, transport: Any) -> None:
        self._transports.append(transport)
        install_stun_demux()
        direct = DirectInbound(transport)
        self._direct.append(direct)
        take_direct = direct.handle
        router = transport._rtp_router
        original_route = router.route_rtp
        packets, bits, rtcp = self.packets, self.bits, self.rtcp
        max_rtcp = self.limits.max_rtcp_bytes
        max_ssrcs = self.limits.max_ssrcs_per_connection

        table = router.ssrc_table

        def admit_rtp(data: bytes) -> bool:
            if not packets.take() or not bits.take(len(data) * 8):
                self.rtp_dropped += 1
                return False
            # The SSRC is in clear in an SRTP header: an unknown one, once the connection has
            # its share, is dropped before libsrtp decrypts and authenticates it (the costly part).
            if len(data) >= 12 and len(table) >= max_ssrcs and int.from_bytes(data[8:12]) not in table:
                self.ssrc_dropped += 1
                return False
            return True

        def route_rtp(packet: Any) -> Any:
            if packet.ssrc not in table and len(table) >= max_ssrcs:
                self.ssrc_dropped += 1
                srtp = transport._rx_srtp
                if srtp is not None:  # libsrtp made a stream context for this SSRC: drop it too
                    try:
                        srtp.remove_stream(packet.ssrc)
                    except Exception:
                        pass
                return None
            return original_route(packet)

        connection = transport.transport._connection  # aioice's, shared by bundled sections
        original_data_received = connection.data_received

        def data_received(data: bytes, component: int) -> None:
            # Every non-STUN datagram of the connection comes through here, straight from the
            # socket. What is over budget is dropped now: aioice's queue is unbounded, and each
            # datagram in it costs the DTLS reader a turn. RTP over 1500 bytes goes too: aiortc
            # lets pylibsrtp's ValueError for it kill the transport.
            if len(data) >= 2 and 127 < data[0] < 192:
                if 192 <= data[1] <= 208:  # RTCP, as aiortc tells it (rtp.is_rtcp)
                    if len(data) > max_rtcp or not rtcp.take():
                        self.rtcp_dropped += 1
                        return
                elif len(data) > MAX_DATAGRAM:
                    self.rtp_dropped += 1
                    return
                elif not admit_rtp(data) or take_direct(data):
                    return
            original_data_received(data, component)

        router.route_rtp = route_rtp
        connection.data_received = data_received

    def ssrc_count(self) -> int:
        return max((len(t._rtp_router.ssrc_table) for t in self._transports), default=0)

    def release(self) -> None:
        self._transports.clear()
        self._direct.clear()


def receiver_state_size(pc: RTCPeerConnection) -> int:
    """Entries in aiortc's per-SSRC tables of pc's receivers and routers (tests: must stay bounded)."""
    total = 0
    routers = set()
    for t in pc.getTransceivers():
        r = t.receiver
        total += len(r._RTCRtpReceiver__remote_streams)  # type: ignore[attr-defined]
        total += len(r._RTCRtpReceiver__active_ssrc)  # type: ignore[attr-defined]
        total += len(r._RTCRtpReceiver__lsr)  # type: ignore[attr-defined]
        if r.transport is not None and id(r.transport._rtp_router) not in routers:
            routers.add(id(r.transport._rtp_router))
            total += len(r.transport._rtp_router.ssrc_table)
    return total


# ---------------------------------------------------------------------------- senders


def quiet_rtp(sender: RTCRtpSender, parked: Callable[[], bool]) -> None:
    """Our senders never encode: their RTP task ends at once instead of waiting forever.

    Parking a slot must not say BYE: receivers (aiortc's at least) end the track for good.
    """

    async def run_rtp(codec: Any) -> None:
        sender._RTCRtpSender__rtp_started.set()  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_exited.set()  # type: ignore[attr-defined]

    original_send_rtcp = sender._send_rtcp

    async def send_rtcp(packets: list[Any]) -> None:
        if parked():
            packets = [p for p in packets if not isinstance(p, RtcpByePacket)]
            if not packets:
                return
        await original_send_rtcp(packets)

    sender._run_rtp = run_rtp  # type: ignore[method-assign]
    sender._send_rtcp = send_rtcp  # type: ignore[method-assign]


def park_sender(sender: RTCRtpSender) -> None:
    """Stop a free slot's RTCP task (it says BYE); aiortc's stop() still finds it finished."""
    task = sender._RTCRtpSender__rtcp_task  # type: ignore[attr-defined]
    if task is not None and not task.done():
        task.cancel()


async def resume_sender(sender: RTCRtpSender, timeout: float = 1.0) -> None:
    """Start the RTCP task of a parked sender again (no-op if it was never started or runs)."""
    task = sender._RTCRtpSender__rtcp_task  # type: ignore[attr-defined]
    if task is None or (not task.done() and not task.cancelling()):
        return
    if not task.done():
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except (TimeoutError, asyncio.CancelledError):
            if not task.done():
                logger.warning("a parked sender's RTCP task did not end")
                return
    sender._RTCRtpSender__rtcp_started.clear()  # type: ignore[attr-defined]
    sender._RTCRtpSender__rtcp_exited.clear()  # type: ignore[attr-defined]
    sender._RTCRtpSender__rtcp_task = asyncio.ensure_future(sender._run_rtcp())  # type: ignore[attr-defined]


def sender_rtt(sender: RTCRtpSender) -> float:
    """The round trip aiortc measured from receiver reports (0 before the first)."""
    return sender._RTCRtpSender__rtt or 0.0  # type: ignore[attr-defined]


def sender_rtcp_running(sender: RTCRtpSender) -> bool:
    """Whether the sender's RTCP task runs (a parked slot's does not): for sfu.stats."""
    task = sender._RTCRtpSender__rtcp_task  # type: ignore[attr-defined]
    return task is not None and not task.done()
