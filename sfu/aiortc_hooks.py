"""RTP-level forwarding on top of aiortc 1.16.0: the only module touching aiortc internals.

Publisher side: a :class:`PublisherTrack` replaces a receiver's ``_handle_rtp_packet`` with a copy
of aiortc's that keeps SRTP, RTCP stats, REMB, RTX unwrap and NACK generation, then hands every
packet to the tap instead of the depacketizer / jitter buffer / decoder.

Subscriber side: a :class:`SubscriberStream` rewrites each packet's header for one subscribe-PC
sender (its payload type, SSRC, sequence numbers, timestamps, mid / abs-send-time extensions),
SRTP-protects it with that sender's DTLS session and sends it on the nominated ICE pair. The
sender itself stays for RTCP: NACK -> RTX from the shared history, PLI/FIR -> the publisher,
and sender reports from counters we keep up to date.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aioice.ice
import aiortc
from aiortc import clock
from aiortc import rtcrtpreceiver as _receiver_module
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)
from aiortc.utils import random16, random32

logger = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
if aiortc.__version__ != AIORTC_VERSION:  # the hooks below read private attributes
    logger.warning("sfu.aiortc_hooks is written for aiortc %s, found %s", AIORTC_VERSION, aiortc.__version__)

HISTORY_SIZE = 1024
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

# ---------------------------------------------------------------------------
# ICE host addresses
# ---------------------------------------------------------------------------

_original_get_host_addresses = aioice.ice.get_host_addresses
_host_addresses: list[str] = []


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _host_addresses:
        return [a for a in _host_addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
    return _original_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)


def set_host_addresses(addresses: list[str]) -> None:
    """Gather host candidates on exactly these addresses (aioice skips loopback otherwise).

    Process-wide: aioice looks the function up in its module on every gathering.
    """
    _host_addresses[:] = list(addresses)
    aioice.ice.get_host_addresses = _get_host_addresses


# ---------------------------------------------------------------------------
# Decoder accounting: proves the SFU never decodes video
# ---------------------------------------------------------------------------

decoder_counts: Counter[str] = Counter()  # every get_decoder() call in the process, by kind
sfu_decoder_counts: Counter[str] = Counter()  # calls made from decoder threads of SFU receivers
_sfu_decoder_threads: set[threading.Thread] = set()
_original_get_decoder = _receiver_module.get_decoder


def _counting_get_decoder(codec: Any) -> Any:
    kind = codec.mimeType.split("/")[0]
    decoder_counts[kind] += 1
    if threading.current_thread() in _sfu_decoder_threads:
        sfu_decoder_counts[kind] += 1
    return _original_get_decoder(codec)


_receiver_module.get_decoder = _counting_get_decoder


# ---------------------------------------------------------------------------
# VP8
# ---------------------------------------------------------------------------


def vp8_keyframe_start(payload: bytes) -> bool:
    """True for the first packet of a VP8 keyframe (RFC 7741 descriptor, then payload header)."""
    n = len(payload)
    if n < 1:
        return False
    b0 = payload[0]
    if not (b0 & 0x10) or (b0 & 0x07):  # S bit and partition index 0
        return False
    pos = 1
    if b0 & 0x80:  # X
        if n < 2:
            return False
        x = payload[1]
        pos = 2
        if x & 0x80:  # I: picture id, 7 or 15 bits
            if pos >= n:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if x & 0x40:  # L: TL0PICIDX
            pos += 1
        if x & 0x30:  # T or K
            pos += 1
    return pos < n and payload[pos] & 0x01 == 0


# ---------------------------------------------------------------------------
# Shared packet history
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class SourcePacket:
    seq: int
    timestamp: int
    marker: int
    payload: bytes
    padding_size: int
    keyframe_start: bool


class PacketHistory:
    """The last HISTORY_SIZE packets of one publisher stream, by source sequence number."""

    def __init__(self) -> None:
        self._slots: list[SourcePacket | None] = [None] * HISTORY_SIZE

    def add(self, packet: SourcePacket) -> None:
        self._slots[packet.seq % HISTORY_SIZE] = packet

    def get(self, seq: int) -> SourcePacket | None:
        packet = self._slots[seq % HISTORY_SIZE]
        return packet if packet is not None and packet.seq == seq else None


# ---------------------------------------------------------------------------
# Publisher side
# ---------------------------------------------------------------------------


class PublisherTrack:
    """Taps one publisher receiver; fans its RTP packets out to SubscriberStreams."""

    def __init__(
        self,
        receiver: RTCRtpReceiver,
        kind: str,
        *,
        pli_min_interval: float = 0.33,
        on_audio: Callable[[bytes, int, float], None] | None = None,
    ) -> None:
        self.receiver = receiver
        self.kind = kind  # audio / video / screen
        self.is_video = kind != "audio"
        self.pli_min_interval = pli_min_interval
        self.on_audio = on_audio
        self.history = PacketHistory()
        self.subscribers: list[SubscriberStream] = []
        self.muted = False
        self.media_ssrc: int | None = None
        self.packets_received = 0
        self.plis_sent = 0
        self._last_pli = -1e9
        self._closed = False
        self._install()

    def _install(self) -> None:
        r = self.receiver
        original_receive = r.receive

        async def receive(parameters: Any) -> None:
            await original_receive(parameters)
            thread = r._RTCRtpReceiver__decoder_thread  # type: ignore[attr-defined]
            if thread is not None:
                _sfu_decoder_threads.add(thread)

        r.receive = receive  # type: ignore[method-assign]
        r._handle_rtp_packet = self._handle_rtp_packet  # type: ignore[method-assign]

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        # aiortc 1.16.0 RTCRtpReceiver._handle_rtp_packet up to the depacketizer, then our tap.
        r = self.receiver
        if not r._enabled or self._closed:
            return
        estimator = r._RTCRtpReceiver__remote_bitrate_estimator  # type: ignore[attr-defined]
        if estimator is not None and packet.extensions.abs_send_time is not None:
            remb = estimator.add(
                abs_send_time=packet.extensions.abs_send_time,
                arrival_time_ms=arrival_time_ms,
                payload_size=len(packet.payload) + packet.padding_size,
                ssrc=packet.ssrc,
            )
            rtcp_ssrc = r._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
            if rtcp_ssrc is not None and remb is not None:
                await r._send_rtcp(
                    RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(*remb))
                )
        r._RTCRtpReceiver__active_ssrc[packet.ssrc] = clock.current_datetime()  # type: ignore[attr-defined]
        codecs = r._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        streams = r._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
        if packet.ssrc not in streams:
            streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        streams[packet.ssrc].add(packet)
        if is_rtx(codec):
            original_ssrc = r._RTCRtpReceiver__rtx_ssrc.get(packet.ssrc)  # type: ignore[attr-defined]
            apt = codec.parameters.get("apt")
            if (
                original_ssrc is None
                or len(packet.payload) < 2
                or not isinstance(apt, int)
                or apt not in codecs
            ):
                return  # includes RTX padding probes
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
        nack_generator = r._RTCRtpReceiver__nack_generator  # type: ignore[attr-defined]
        if nack_generator is not None and nack_generator.add(packet):
            await r._send_rtcp_nack(packet.ssrc, sorted(nack_generator.missing))
        await self.on_packet(packet)

    async def on_packet(self, packet: RtpPacket) -> None:
        self.media_ssrc = packet.ssrc
        self.packets_received += 1
        payload = packet.payload
        source = SourcePacket(
            seq=packet.sequence_number,
            timestamp=packet.timestamp,
            marker=packet.marker,
            payload=payload,
            padding_size=packet.padding_size,
            keyframe_start=self.is_video and vp8_keyframe_start(payload),
        )
        self.history.add(source)
        if self.muted:
            return
        if self.on_audio is not None and payload:
            try:
                self.on_audio(payload, packet.timestamp, time.time())
            except Exception:  # a caption tap must never break forwarding
                logger.exception("audio tap failed")
        if not self.subscribers:
            return
        ntp = clock.current_ntp_time()
        abs_send_time = ((ntp >> 14) & 0x00FFFFFF).to_bytes(3, "big")
        want_keyframe = False
        for stream in self.subscribers:
            try:
                if stream.forward(source, ntp, abs_send_time):
                    want_keyframe = True
            except Exception:  # never let one subscriber break aiortc's receive loop
                logger.exception("forwarding to one subscriber failed")
        if want_keyframe:
            await self.request_keyframe()

    async def request_keyframe(self) -> bool:
        """PLI to the publisher's media SSRC, at most one per pli_min_interval."""
        if not self.is_video or self.media_ssrc is None or self._closed:
            return False
        now = time.monotonic()
        if now - self._last_pli < self.pli_min_interval:
            return False
        self._last_pli = now
        self.plis_sent += 1
        await self.receiver._send_rtcp_pli(self.media_ssrc)
        return True

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if not muted:
            for stream in self.subscribers:
                stream.restart()

    def close(self) -> None:
        self._closed = True
        for stream in list(self.subscribers):
            stream.detach()


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


class SubscriberStream:
    """Forwards one PublisherTrack to one subscribe-PC RTCRtpSender."""

    def __init__(self, sender: RTCRtpSender, *, stream_id: str | None = None) -> None:
        self.sender = sender
        self.source: PublisherTrack | None = None
        self.ssrc = sender._ssrc
        self.rtx_ssrc = sender._rtx_ssrc
        self.payload_type: int | None = None
        self.rtx_payload_type: int | None = None
        self.mid_ext = b""
        self.abs_send_time_id = 0
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
        self.plis_received = 0
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
                await original_rtcp(packet)

        sender.send = send  # type: ignore[method-assign]
        sender._handle_rtcp_packet = handle_rtcp  # type: ignore[method-assign]

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

    def attach(self, source: PublisherTrack) -> None:
        self.detach()
        self.source = source
        self.restart()
        source.subscribers.append(self)

    def detach(self) -> None:
        if self.source is not None and self in self.source.subscribers:
            self.source.subscribers.remove(self)
        self.source = None
        self.waiting = True

    def restart(self) -> None:
        """Wait for a fresh start point (a keyframe for video); sequence numbers stay continuous."""
        self.waiting = True

    def _ready(self) -> bool:
        dtls = self.sender.transport
        return self.payload_type is not None and dtls._state == DtlsState.CONNECTED

    def forward(self, packet: SourcePacket, ntp: int, abs_send_time: bytes) -> bool:
        """Send one packet; returns True when this stream still waits for a keyframe."""
        if not self._ready():
            return False
        seq = packet.seq
        if self.waiting:
            source = self.source
            if source is not None and source.is_video and not packet.keyframe_start:
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
        out_seq = (seq + self.seq_offset) & 0xFFFF
        out_ts = (packet.timestamp + self.ts_offset) & 0xFFFFFFFF
        if seq == self.highest_src:
            self.next_seq = (out_seq + 1) & 0xFFFF
            self.last_out_ts = out_ts
        data = self._header(self.payload_type, out_seq, out_ts, self.ssrc, packet, abs_send_time)  # type: ignore[arg-type]
        if not self._send(data + packet.payload + self._padding(packet.padding_size)):
            return False
        self.packets_sent += 1
        self.octets_sent += len(packet.payload)
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
        for out_seq in lost:
            src_seq = (out_seq - self.seq_offset) & 0xFFFF
            if (self.highest_src - src_seq) & 0xFFFF > self.span:
                continue
            packet = source.history.get(src_seq)
            if packet is None:
                continue
            out_ts = (packet.timestamp + self.ts_offset) & 0xFFFFFFFF
            if self.rtx_payload_type is not None:
                header = self._header(
                    self.rtx_payload_type, self.rtx_seq, out_ts, self.rtx_ssrc, packet, abs_send_time
                )
                self.rtx_seq = (self.rtx_seq + 1) & 0xFFFF
                body = struct.pack("!H", out_seq) + packet.payload
            else:
                header = self._header(self.payload_type, out_seq, out_ts, self.ssrc, packet, abs_send_time)  # type: ignore[arg-type]
                body = packet.payload
            if self._send(header + body + self._padding(packet.padding_size)):
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
        ext = self.mid_ext
        if self.abs_send_time_id:
            ext += bytes([(self.abs_send_time_id << 4) | 2]) + abs_send_time
        first = 0x80 | (0x20 if packet.padding_size else 0)
        if ext:
            first |= 0x10
            ext += b"\x00" * (-len(ext) % 4)
            ext = struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
        return struct.pack("!BBHII", first, (packet.marker << 7) | payload_type, seq, timestamp, ssrc) + ext

    @staticmethod
    def _padding(size: int) -> bytes:
        return b"\x00" * (size - 1) + bytes([size]) if size else b""

    def _send(self, data: bytes) -> bool:
        dtls = self.sender.transport
        try:
            protected = dtls._tx_srtp.protect(data)
            pair = dtls.transport._connection._nominated.get(1)  # follows ICE pair changes
            if pair is None or pair.protocol.transport is None:
                return False
            pair.protocol.transport.sendto(protected, pair.remote_addr)
        except Exception:  # a closing transport must not break the publisher's fan-out
            return False
        return True
