"""The subscriber side of RTP-level forwarding on aiortc 1.16.0 (aiortc internals; see aiortc_hooks).

A :class:`SubscriberStream` rewrites each packet's header for one subscribe-PC sender (its payload
type, SSRC, sequence numbers, timestamps, mid / abs-send-time extensions), SRTP-protects it with
that sender's DTLS session and sends it on the nominated ICE pair. The sender itself stays for
RTCP: NACK -> RTX from the shared history (de-duplicated, at most once per round trip, within a
budget), PLI/FIR -> the publisher, and sender reports from counters we keep up to date.

Link adaptation (its parts of the stream: sfu.aiortc_hooks_adapt.LinkAdaptation): receiver
reports and REMB go to the subscriber's adapter, a video stream with a ``temporal`` filter
forwards only the VP8 temporal layers its target allows, and ``set_link_paused`` is a pause
reason of its own next to ``paused`` (visibility): the stream forwards only when neither holds.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiortc import clock
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RTCP_RTPFB_NACK, RtcpPsfbPacket, RtcpRtpfbPacket
from aiortc.utils import random16, random32

from sfu import fastpath
from sfu.aiortc_hooks_adapt import LinkAdaptation, ReportHook
from sfu.aiortc_hooks_guard import park_sender, quiet_rtp, resume_sender, sender_rtt
from sfu.aiortc_hooks_io import DirectSend
from sfu.aiortc_hooks_rtcp import batch_sender_reports
from sfu.guards import TokenBucket
from sfu.rtp import HISTORY_SIZE, SourcePacket, TemporalFilter

if TYPE_CHECKING:
    from sfu.aiortc_hooks import PublisherTrack

logger = logging.getLogger(__name__)

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
RTP_HEADER = struct.Struct("!BBHII")


# ---------------------------------------------------------------------------
# Subscriber side
# ---------------------------------------------------------------------------


class SilentTrack(MediaStreamTrack):
    """Keeps a subscribe-PC sender's RTP loop parked: it never yields a frame."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._never: asyncio.Event = asyncio.Event()

    async def recv(self) -> Any:
        await self._never.wait()
        raise asyncio.CancelledError


class SubscriberStream(LinkAdaptation):
    """Forwards one PublisherTrack to one subscribe-PC RTCRtpSender."""

    def __init__(
        self,
        sender: RTCRtpSender,
        *,
        stream_id: str | None = None,
        rtx_budget: TokenBucket | None = None,
        max_nacks_per_packet: int = 64,
        rtx_min_interval: float = 0.05,
    ) -> None:
        self.sender = sender
        self.rtx_budget = rtx_budget
        self.max_nacks_per_packet = max_nacks_per_packet
        self.rtx_min_interval = rtx_min_interval
        self.source: PublisherTrack | None = None
        self.ssrc = sender._ssrc
        self.rtx_ssrc = sender._rtx_ssrc
        self.payload_type: int | None = None
        self.rtx_payload_type: int | None = None
        self.mid_ext = b""
        self.abs_send_time_id = 0
        # The header extension block, built once per negotiation (configure): everything before
        # the abs-send-time value, and the zero padding after it.
        self._ext_head = b""
        self._ext_tail = b""
        self._pack_header: Callable[..., bytes] | None = None
        self._direct: DirectSend | None = None
        self._direct_for: Any = None  # the DTLS transport _direct sends for
        self._fast = fastpath.available()  # forward's usual packet in C (sfu.fastpath)
        self.fast_sent = 0  # packets forward sent through the fast path
        self.waiting = True
        self.seq_offset = 0
        self.next_seq = random16() % 32768
        self.rtx_seq = random16() % 32768
        self.ts_offset = random32()
        self.last_out_ts: int | None = None
        self.start_src = 0
        self.highest_src = 0
        self.span = 0
        self.packets_sent = 0
        self.octets_sent = 0
        self.nacks_received = 0
        self.rtx_sent = 0
        self.rtx_suppressed = 0  # named again within a round trip, or over the cap per NACK
        self.rtx_over_budget = 0
        self.plis_received = 0
        self.dropped_waiting = 0  # not sent: waiting for a keyframe (counted only on that branch)
        self.dropped_not_ready = 0  # not sent: no codec yet, or DTLS not connected
        self.parked = False
        self.paused = False  # not shown by the subscriber: off its source's list, no per-packet work
        self.link_paused = False  # its link cannot carry this video (sfu.adapt): off the list too
        self.on_report: ReportHook | None = None  # the subscriber's receiver reports for this sender
        self.on_remb: Callable[[int], None] | None = None
        self.temporal: TemporalFilter | None = None  # VP8 temporal-layer forwarding (video only)
        self.dropped_layers = 0  # not sent: above the temporal-layer target, or malformed
        self._sent: list[tuple[int, int, bytes] | None] | None = None  # out seq -> (out, src, payload)
        self._renumbered_from = 0  # source seq from which seq_offset holds (with a temporal filter)
        self._resumed_at: int | None = None  # out seq of a resume: reports up to it are stale
        self._rtx_seqs: list[int] | None = None  # out seq last retransmitted, by seq % HISTORY_SIZE
        self._rtx_times: list[float] = []
        if stream_id is not None:
            self.set_stream_id(stream_id)
        self._install()

    def set_stream_id(self, stream_id: str) -> None:
        """The msid stream of this sender in the next offer (one stream per publisher)."""
        self.sender._stream_id = stream_id

    def _install(self) -> None:
        sender = self.sender
        original_send = sender.send
        original_rtcp = sender._handle_rtcp_packet

        async def send(parameters: Any) -> None:
            self.configure(parameters)
            await original_send(parameters)

        async def handle_rtcp(packet: Any) -> None:
            if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                self.nacks_received += 1
                self.retransmit(packet.lost)
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                self.plis_received += 1
                if self.source is not None:
                    await self.source.request_keyframe()
            else:
                try:
                    await self._link_feedback(packet)
                except Exception:  # adaptation must never break aiortc's RTCP handling
                    logger.exception("link feedback failed")
                await original_rtcp(packet)

        sender.send = send  # type: ignore[method-assign]
        sender._handle_rtcp_packet = handle_rtcp  # type: ignore[method-assign]
        quiet_rtp(sender, lambda: self.parked)
        batch_sender_reports(sender)  # one SR pass per connection, not an RTCP loop per sender

    def park(self) -> None:
        """The slot is free: no RTCP for it until it is reused."""
        self.detach()
        self.parked = True
        park_sender(self.sender)

    async def unpark(self) -> None:
        if self.parked:
            await resume_sender(self.sender)  # waits for the cancelled RTCP task (no BYE) first
            self.parked = False

    def configure(self, parameters: Any) -> None:
        codec = parameters.codecs[0]
        self.payload_type = codec.payloadType
        for c in parameters.codecs:
            if is_rtx(c) and c.parameters.get("apt") == codec.payloadType:
                self.rtx_payload_type = c.payloadType
        mid = (parameters.muxId or "").encode()
        for ext in parameters.headerExtensions:
            if ext.uri == MID_URI and mid and len(mid) <= 16:
                self.mid_ext = bytes([(ext.id << 4) | (len(mid) - 1)]) + mid
            elif ext.uri == ABS_SEND_TIME_URI:
                self.abs_send_time_id = ext.id
        self._build_extensions()

    def _build_extensions(self) -> None:
        self._pack_header = None
        body = self.mid_ext + (bytes([(self.abs_send_time_id << 4) | 2]) if self.abs_send_time_id else b"")
        size = len(body) + (3 if self.abs_send_time_id else 0)
        if not size:
            self._ext_head = self._ext_tail = b""
            return
        pad = -size % 4
        self._ext_head = struct.pack("!HH", 0xBEDE, (size + pad) // 4) + body
        self._ext_tail = b"\x00" * pad
        if self.abs_send_time_id:  # the usual header in one pack: fixed part, extensions, abs-send-time
            self._pack_header = struct.Struct(f"!BBHII{len(self._ext_head)}s3s{pad}s").pack

    def attach(self, source: PublisherTrack, *, paused: bool = False) -> None:
        self.detach()
        self.source = source
        self.paused = paused
        self.restart()
        if not paused and not self.link_paused:
            source.subscribers.append(self)

    def pause(self) -> None:
        """Stop forwarding (the subscriber does not show this video) without renegotiating: the
        transceiver stays, only packets stop; resume() starts again at a keyframe."""
        if self.paused:
            return
        self.paused = True
        self._stop_forwarding()

    async def resume(self) -> None:
        if not self.paused:
            return
        self.paused = False
        if not self.link_paused:
            await self._start_forwarding()

    def _stop_forwarding(self) -> None:
        if self.source is not None and self in self.source.subscribers:
            self.source.subscribers.remove(self)

    async def _start_forwarding(self) -> None:
        source = self.source
        if source is not None and self not in source.subscribers:
            self.restart()  # from the next keyframe, the timeline continued (see forward)
            self._resumed_at = self.next_seq
            source.subscribers.append(self)
            await source.request_keyframe()

    def detach(self) -> None:
        if self.source is not None and self in self.source.subscribers:
            self.source.subscribers.remove(self)
        self.source = None
        self.waiting = True

    def restart(self) -> None:
        """Wait for a fresh start point (a keyframe for video); sequence numbers stay continuous."""
        self.waiting = True
        if self.temporal is not None:
            self.temporal.restart()
            self._sent = None  # numbering starts again at the next start point (_layer_filter)

    def _ready(self) -> bool:
        dtls = self.sender._RTCRtpSender__transport  # type: ignore[attr-defined]  # (not the property)
        return self.payload_type is not None and dtls._state == DtlsState.CONNECTED

    def forward(self, packet: SourcePacket, ntp: int, abs_send_time: bytes) -> bool:
        """Send one packet; returns True when this stream still waits for a keyframe."""
        dtls = self.sender._RTCRtpSender__transport  # type: ignore[attr-defined]  # (not the property)
        payload_type = self.payload_type
        if payload_type is None or dtls._state is not DtlsState.CONNECTED:
            self.dropped_not_ready += 1
            return False
        seq = packet.seq
        if self.waiting:
            source = self.source
            if source is not None and source.is_video and not packet.keyframe_start:
                self.dropped_waiting += 1
                return True
            self.waiting = False
            self.seq_offset = (self.next_seq - seq) & 0xFFFF
            if self.last_out_ts is not None:  # continue the timeline after a switch or unmute
                self.ts_offset = (self.last_out_ts + 3000 - packet.timestamp) & 0xFFFFFFFF
            self.start_src = self.highest_src = seq
            self.span = 0
        else:
            delta = (seq - self.highest_src) & 0xFFFF
            if delta < 0x8000:
                self.highest_src = seq
                self.span = min(HISTORY_SIZE, self.span + delta)
            elif 0x10000 - delta > self.span:
                return False  # older than our start point
        payload = packet.payload
        temporal = self.temporal
        if temporal is not None and not temporal.passes_whole(packet.vp8):
            filtered = self._layer_filter(packet)
            if filtered is None:
                return False
            payload = filtered
        out_seq = (seq + self.seq_offset) & 0xFFFF
        out_ts = (packet.timestamp + self.ts_offset) & 0xFFFFFFFF
        if seq == self.highest_src:
            self.next_seq = (out_seq + 1) & 0xFFFF
            self.last_out_ts = out_ts
        if self._sent is not None:
            self._sent[out_seq % HISTORY_SIZE] = (out_seq, seq, payload)
        pack = self._pack_header
        if pack is not None and not packet.padding_size:
            marker_pt = (packet.marker << 7) | payload_type
            sent = (
                self._send_fast(dtls, marker_pt, out_seq, out_ts, abs_send_time, payload)
                if self._fast
                else None
            )
            if sent is None:  # the Python path: the same packet, packed here
                data = pack(
                    0x90, marker_pt, out_seq, out_ts, self.ssrc, self._ext_head, abs_send_time, self._ext_tail
                )
                sent = self._send_datagram(dtls, data + payload)
        else:
            header = self._header(payload_type, out_seq, out_ts, self.ssrc, packet, abs_send_time)
            sent = self._send_datagram(dtls, b"".join((header, payload, self._padding(packet.padding_size))))
        if not sent:
            return False
        self.packets_sent += 1
        self.octets_sent += len(payload)
        sender = self.sender
        sender._RTCRtpSender__ntp_timestamp = ntp  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = out_ts  # type: ignore[attr-defined]
        sender._RTCRtpSender__packet_count = self.packets_sent  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count = self.octets_sent  # type: ignore[attr-defined]
        return False

    def retransmit(self, lost: list[int]) -> None:
        source = self.source
        if source is None or self.waiting or not self._ready():
            return
        ntp = clock.current_ntp_time()
        abs_send_time = ((ntp >> 14) & 0x00FFFFFF).to_bytes(3, "big")
        unique = list(dict.fromkeys(lost))  # a NACK may name one packet many times
        if len(unique) > self.max_nacks_per_packet:
            self.rtx_suppressed += len(unique) - self.max_nacks_per_packet
            unique = unique[: self.max_nacks_per_packet]
        if self._rtx_seqs is None:
            self._rtx_seqs = [-1] * HISTORY_SIZE
            self._rtx_times = [0.0] * HISTORY_SIZE
        seqs, times = self._rtx_seqs, self._rtx_times
        now = time.monotonic()
        min_gap = max(self.rtx_min_interval, sender_rtt(self.sender))
        budget = self.rtx_budget
        for out_seq in unique:
            i = out_seq % HISTORY_SIZE
            if seqs[i] == out_seq and now - times[i] < min_gap:
                self.rtx_suppressed += 1
                continue
            found = self._sent_packet(out_seq)
            if found is None:
                continue
            packet, payload = found
            if budget is not None and not budget.take():
                self.rtx_over_budget += 1
                return
            seqs[i] = out_seq
            times[i] = now
            out_ts = (packet.timestamp + self.ts_offset) & 0xFFFFFFFF
            if self.rtx_payload_type is not None:
                header = self._header(
                    self.rtx_payload_type, self.rtx_seq, out_ts, self.rtx_ssrc, packet, abs_send_time
                )
                self.rtx_seq = (self.rtx_seq + 1) & 0xFFFF
                body = struct.pack("!H", out_seq) + payload
            else:
                header = self._header(self.payload_type, out_seq, out_ts, self.ssrc, packet, abs_send_time)  # type: ignore[arg-type]
                body = payload
            if self._send(header, body, packet.padding_size):
                self.rtx_sent += 1

    def _header(
        self,
        payload_type: int,
        seq: int,
        timestamp: int,
        ssrc: int,
        packet: SourcePacket,
        abs_send_time: bytes,
    ) -> bytes:
        first = 0x80 | (0x20 if packet.padding_size else 0)
        head = self._ext_head
        if not head:
            return RTP_HEADER.pack(first, (packet.marker << 7) | payload_type, seq, timestamp, ssrc)
        fixed = RTP_HEADER.pack(first | 0x10, (packet.marker << 7) | payload_type, seq, timestamp, ssrc)
        if self.abs_send_time_id:
            return b"".join((fixed, head, abs_send_time, self._ext_tail))
        return b"".join((fixed, head, self._ext_tail))

    @staticmethod
    def _padding(size: int) -> bytes:
        return b"\x00" * (size - 1) + bytes([size]) if size else b""

    def _send(self, header: bytes, body: bytes, padding_size: int) -> bool:
        """Protect header + body (+ padding) and send it on the nominated pair (DirectSend)."""
        dtls = self.sender._RTCRtpSender__transport  # type: ignore[attr-defined]  # (not the property)
        if padding_size:
            return self._send_datagram(dtls, b"".join((header, body, self._padding(padding_size))))
        return self._send_datagram(dtls, header + body)

    def _send_fast(
        self, dtls: Any, marker_pt: int, seq: int, timestamp: int, abs_send_time: bytes, payload: bytes
    ) -> bool | None:
        """forward's usual packet through the C fast path (DirectSend.send_rtp); None: send it in Python."""
        try:
            if self._direct_for is not dtls:
                self._direct, self._direct_for = DirectSend(dtls), dtls
            sent = self._direct.send_rtp(  # type: ignore[union-attr]
                dtls._tx_srtp,
                marker_pt,
                seq,
                timestamp,
                self.ssrc,
                self._ext_head,
                abs_send_time,
                len(self._ext_tail),
                payload,
            )
        except Exception:  # a closing transport must not break the publisher's fan-out
            return False
        if sent is not None:
            self.fast_sent += 1
        return sent

    def _send_datagram(self, dtls: Any, data: bytes) -> bool:
        try:
            protected = dtls._tx_srtp.protect(data)
            if self._direct_for is not dtls:
                self._direct, self._direct_for = DirectSend(dtls), dtls
            return self._direct.send(protected)  # type: ignore[union-attr]
        except Exception:  # a closing transport must not break the publisher's fan-out
            return False
