"""RTP-level forwarding on top of aiortc 1.16.0: publisher side and process-wide hooks.

Publisher side: a :class:`PublisherTrack` taps a receiver. Media packets come to
``receive_direct`` from sfu.aiortc_hooks_inbound (unprotected where the guard sees the datagram);
the rest (RTX, the first packets, new SSRCs) to its replacement of the receiver's
``_handle_rtp_packet``. Both keep what aiortc's receiver keeps per packet (REMB estimation,
receiver-report statistics; RTX unwrap on aiortc's path), generate NACKs with a bounded generator,
then fan the packet out instead of handing it to the depacketizer / jitter buffer / decoder.

Subscriber side: sfu.aiortc_hooks_subscriber. Bounds on client input: sfu.aiortc_hooks_guard.
Every access to aiortc internals lives in these ``aiortc_hooks*`` modules.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aioice.ice
import aiortc
from aiortc import clock
from aiortc import rtcrtpreceiver as _receiver_module
from aiortc.codecs import is_rtx
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)

from sfu.aiortc_hooks_guard import (
    SEQ_MISSED,
    SEQ_RESET,
    BoundedNackGenerator,
)
from sfu.aiortc_hooks_inbound import rtcp_send_now
from sfu.aiortc_hooks_subscriber import SilentTrack, SubscriberStream
from sfu.rtp import (
    PacketHistory,
    RembPacer,
    SourcePacket,
    ntp_now,
    parse_rtp,
    vp8_descriptor,
)

logger = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
if aiortc.__version__ != AIORTC_VERSION:  # the hooks below read private attributes
    logger.warning("sfu.aiortc_hooks is written for aiortc %s, found %s", AIORTC_VERSION, aiortc.__version__)


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
# Publisher side
# ---------------------------------------------------------------------------


class _Seen:
    """The two fields aiortc's StreamStatistics.add reads from a packet."""

    __slots__ = ("sequence_number", "timestamp")

    def __init__(self) -> None:
        self.sequence_number = 0
        self.timestamp = 0


def _fields(packet: RtpPacket) -> tuple[int, int, int, int, bytes, int]:
    """What forwarding reads from an aiortc packet: as ``parse_rtp`` gives them on the direct path."""
    return (
        packet.ssrc,
        packet.sequence_number,
        packet.timestamp,
        packet.marker,
        packet.payload,
        packet.padding_size,
    )


class PublisherTrack:
    """Taps one publisher receiver; fans its RTP packets out to SubscriberStreams."""

    def __init__(
        self,
        receiver: RTCRtpReceiver,
        kind: str,
        *,
        pli_min_interval: float = 0.33,
        on_audio: Callable[[bytes, int, float], None] | None = None,
        seq_jump_window: int = 512,
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
        self.plis_throttled = 0
        self.nacks_sent = 0
        self.seq_resets = 0
        self.sequence = BoundedNackGenerator(seq_jump_window)
        self.remb = RembPacer()
        self.malformed = 0  # direct path: not a valid RTP packet after SRTP (dropped)
        self.media_payload_types: dict[int, int] = {}  # payload type -> clock rate, RTX left out
        self._active_at: dict[int, int] = {}  # SSRC -> when aiortc's active-SSRC entry was set (ms)
        self._seen = _Seen()
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
            codecs = r._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
            self.media_payload_types = {pt: c.clockRate for pt, c in codecs.items() if not is_rtx(c)}
            # aiortc's router knows a receiver's media SSRCs only; an RTX SSRC it learns from the
            # payload type, which fails when two receivers share it (our camera and screen):
            # the publisher's retransmissions were dropped. Its announced RTX SSRCs are ours.
            transport = r.transport
            if transport is not None:
                table = transport._rtp_router.ssrc_table
                for rtx_ssrc in r._RTCRtpReceiver__rtx_ssrc:  # type: ignore[attr-defined]
                    table.setdefault(rtx_ssrc, r)

        r.receive = receive  # type: ignore[method-assign]
        r._handle_rtp_packet = self._handle_rtp_packet  # type: ignore[method-assign]
        r._sfu_track = self  # type: ignore[attr-defined]  # sfu.aiortc_hooks_inbound finds us here
        if r._RTCRtpReceiver__nack_generator is not None:  # type: ignore[attr-defined]
            r._RTCRtpReceiver__nack_generator = self.sequence  # type: ignore[attr-defined]

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        # aiortc's path (its queue and DTLS reader task): RTX, SSRCs its router has yet to learn,
        # packets before the direct path (receive_direct) takes over. aiortc 1.16.0's
        # RTCRtpReceiver._handle_rtp_packet up to the depacketizer, then our tap.
        r = self.receiver
        if not r._enabled or self._closed:
            return
        codecs = r._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
        codec = codecs.get(packet.payload_type)
        abs_send_time = packet.extensions.abs_send_time
        self._account(
            packet.ssrc,
            packet.sequence_number,
            packet.timestamp,
            len(packet.payload) + packet.padding_size,
            -1 if abs_send_time is None else abs_send_time,
            arrival_time_ms,
            None if codec is None else codec.clockRate,
        )
        if codec is None:
            return
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
        self._sequenced(*_fields(packet))

    def receive_direct(self, data: bytes, arrival_ms: int, dtls: Any) -> None:
        """An unprotected RTP packet of a media payload type (sfu.aiortc_hooks_inbound)."""
        r = self.receiver
        if not r._enabled or self._closed:
            return
        ids = dtls._rtp_header_extensions_map._HeaderExtensionsMap__ids
        fields = parse_rtp(data, ids.abs_send_time or 0)
        if fields is None:
            self.malformed += 1
            return
        pt, marker, seq, timestamp, ssrc, payload, padding, abs_send_time = fields
        self._account(
            ssrc,
            seq,
            timestamp,
            len(payload) + padding,
            abs_send_time,
            arrival_ms,
            self.media_payload_types.get(pt),
        )
        self._sequenced(ssrc, seq, timestamp, marker, payload, padding)

    def _account(
        self,
        ssrc: int,
        seq: int,
        timestamp: int,
        size: int,
        abs_send_time: int,
        arrival_ms: int,
        clock_rate: int | None,
    ) -> None:
        """What aiortc's receiver keeps per packet: the REMB estimator (what it offers paced,
        sfu.rtp.RembPacer), the active SSRCs (once a second: getSynchronizationSources looks 10 s
        back) and the statistics its receiver reports are made of."""
        r = self.receiver
        estimator = r._RTCRtpReceiver__remote_bitrate_estimator  # type: ignore[attr-defined]
        if estimator is not None and abs_send_time >= 0:
            remb = estimator.add(
                abs_send_time=abs_send_time, arrival_time_ms=arrival_ms, payload_size=size, ssrc=ssrc
            )
            rtcp_ssrc = r._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
            if rtcp_ssrc is not None and remb is not None and self.remb.due(remb[0], time.monotonic()):
                self._send_rtcp(
                    RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(*remb))
                )
        if arrival_ms - self._active_at.get(ssrc, -1000) >= 1000:
            self._active_at[ssrc] = arrival_ms
            r._RTCRtpReceiver__active_ssrc[ssrc] = clock.current_datetime()  # type: ignore[attr-defined]
        if clock_rate is None:
            return
        streams = r._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
        stats = streams.get(ssrc)
        if stats is None:
            stats = streams[ssrc] = StreamStatistics(clock_rate)
        self._seen.sequence_number, self._seen.timestamp = seq, timestamp
        stats.add(self._seen)

    def _send_rtcp(self, packet: Any) -> None:
        """At once on the nominated pair (we are not in a coroutine on the direct path)."""
        rtcp_send_now(self.receiver.transport, bytes(packet))

    def _sequenced(
        self, ssrc: int, seq: int, timestamp: int, marker: int, payload: bytes, padding: int
    ) -> None:
        # Our bounded NACK generator (audio too, for the jump check): a jump beyond the window
        # starts the stream afresh instead of NACKing every number in between.
        check = self.sequence.check(seq)
        if check == SEQ_RESET:
            self.seq_resets += 1
            for stream in self.subscribers:
                stream.restart()
        elif check == SEQ_MISSED and self.is_video:
            rtcp_ssrc = self.receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
            if rtcp_ssrc is not None:
                self.nacks_sent += 1
                nack = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=rtcp_ssrc, media_ssrc=ssrc)
                nack.lost = sorted(self.sequence.missing)
                self._send_rtcp(nack)
        self.fan_out(ssrc, seq, timestamp, marker, payload, padding)

    async def on_packet(self, packet: RtpPacket) -> None:
        """Fan one (RTX-unwrapped) packet out (tests and benches feed packets here)."""
        self.fan_out(*_fields(packet))

    def fan_out(self, ssrc: int, seq: int, timestamp: int, marker: int, payload: bytes, padding: int) -> None:
        self.media_ssrc = ssrc
        self.packets_received += 1
        vp8 = vp8_descriptor(payload) if self.is_video else None  # (one parse: keyframe too)
        source = SourcePacket(seq, timestamp, marker, payload, padding, vp8 is not None and vp8.keyframe, vp8)
        self.history.add(source)
        if self.muted:
            return
        if self.on_audio is not None and payload:
            try:
                self.on_audio(payload, timestamp, time.time())
            except Exception:  # a caption tap must never break forwarding
                logger.exception("audio tap failed")
        if not self.subscribers:
            return
        ntp = ntp_now()
        abs_send_time = ((ntp >> 14) & 0x00FFFFFF).to_bytes(3, "big")
        want_keyframe = False
        for stream in self.subscribers:
            try:
                if stream.forward(source, ntp, abs_send_time):
                    want_keyframe = True
            except Exception:  # never let one subscriber break aiortc's receive loop
                logger.exception("forwarding to one subscriber failed")
        if want_keyframe:
            self.request_keyframe_now()

    async def request_keyframe(self) -> bool:
        """PLI to the publisher's media SSRC, at most one per pli_min_interval."""
        return self.request_keyframe_now()

    def request_keyframe_now(self) -> bool:
        if not self.is_video or self.media_ssrc is None or self._closed:
            return False
        now = time.monotonic()
        if now - self._last_pli < self.pli_min_interval:
            self.plis_throttled += 1
            return False
        rtcp_ssrc = self.receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
        if rtcp_ssrc is None:
            return False
        self._last_pli = now
        self.plis_sent += 1
        self._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=rtcp_ssrc, media_ssrc=self.media_ssrc))
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


__all__ = ["PublisherTrack", "SilentTrack", "SubscriberStream", "set_host_addresses"]
