"""RTP helpers without aiortc: VP8 keyframe detection, the VP8 payload descriptor (temporal layer
id, picture ID, TL0PICIDX: read and rewritten, never decoded), the shared packet history, REMB
pacing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from struct import Struct

HISTORY_SIZE = 1024
NTP_UNIX_OFFSET = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)
_RTP_FIXED = Struct("!BBHII")


def ntp_now() -> int:
    """The 64-bit NTP time now (what aiortc's clock.current_ntp_time() gives, without datetime)."""
    t = time.time()
    return ((int(t) + NTP_UNIX_OFFSET) << 32) | int((t % 1.0) * 4294967296.0)


def ms_now() -> int:
    """Milliseconds since the NTP epoch (aiortc's clock.current_ms(), without datetime)."""
    return int((time.time() + NTP_UNIX_OFFSET) * 1000)


# ---------------------------------------------------------------------------
# RTP
# ---------------------------------------------------------------------------

RtpFields = tuple[int, int, int, int, int, bytes, int, int]


def parse_rtp(data: bytes, abs_send_time_id: int) -> RtpFields | None:
    """(payload type, marker, seq, timestamp, ssrc, payload, padding size, abs-send-time or -1)
    of a plain RTP packet, checked as aiortc's RtpPacket.parse checks it; None when malformed.
    Only the abs-send-time header extension is read (``abs_send_time_id``, 0: not negotiated)."""
    n = len(data)
    if n < 12:
        return None
    first, m_pt, seq, timestamp, ssrc = _RTP_FIXED.unpack_from(data)
    if first >> 6 != 2:
        return None
    pos = 12 + 4 * (first & 0x0F)
    if n < pos:
        return None
    abs_send_time = -1
    if first & 0x10:
        if n < pos + 4:
            return None
        profile = (data[pos] << 8) | data[pos + 1]
        end = pos + 4 + 4 * ((data[pos + 2] << 8) | data[pos + 3])
        if n < end:
            return None
        pos += 4
        if profile == 0xBEDE:  # one-byte elements
            while pos < end:
                b = data[pos]
                if b == 0:  # padding
                    pos += 1
                    continue
                length = (b & 0x0F) + 1
                pos += 1
                if pos + length > end:
                    return None
                if b >> 4 == abs_send_time_id and length == 3 and abs_send_time_id:
                    abs_send_time = (data[pos] << 16) | (data[pos + 1] << 8) | data[pos + 2]
                pos += length
        elif profile == 0x1000:  # two-byte elements
            while pos < end:
                if data[pos] == 0:
                    pos += 1
                    continue
                if pos + 2 > end:
                    return None
                x_id, length = data[pos], data[pos + 1]
                pos += 2
                if pos + length > end:
                    return None
                if x_id == abs_send_time_id and length == 3 and abs_send_time_id:
                    abs_send_time = (data[pos] << 16) | (data[pos + 1] << 8) | data[pos + 2]
                pos += length
        pos = end
    padding = 0
    if first & 0x20:
        padding = data[-1]
        if not padding or padding > n - pos:
            return None
        payload = data[pos : n - padding]
    else:
        payload = data[pos:]
    return m_pt & 0x7F, m_pt >> 7, seq, timestamp, ssrc, payload, padding, abs_send_time


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


NO_TID = -1  # no T bit: a stream without temporal layers (every frame counts as TL0)


@dataclass(slots=True, frozen=True)
class Vp8Descriptor:
    """The parts of an RFC 7741 payload descriptor that temporal-layer forwarding needs.

    ``picture_id_at`` / ``tl0picidx_at`` are byte offsets in the payload (-1: absent);
    ``picture_id_bits`` is 7 or 15 (0: absent).
    """

    tid: int  # NO_TID, or 0..3
    layer_sync: bool  # Y bit: this frame depends only on TL0 frames
    start: bool  # S bit with partition index 0: the first packet of a frame
    picture_id: int
    picture_id_bits: int
    picture_id_at: int
    tl0picidx: int
    tl0picidx_at: int
    keyframe: bool = False  # the first packet of a keyframe (what vp8_keyframe_start tells)


def vp8_descriptor(payload: bytes) -> Vp8Descriptor | None:
    """The descriptor at the head of a VP8 RTP payload; None when it is malformed (too short for
    the fields its flags announce, or no payload after it): such a packet is dropped safely."""
    n = len(payload)
    if n < 2:
        return None
    b0 = payload[0]
    start = bool(b0 & 0x10) and not (b0 & 0x07)
    pos = 1
    tid, sync = NO_TID, False
    pid, pid_bits, pid_at, tl0, tl0_at = -1, 0, -1, -1, -1
    if b0 & 0x80:  # X
        x = payload[1]
        pos = 2
        if x & 0x80:  # I
            if pos >= n:
                return None
            pid_at = pos
            if payload[pos] & 0x80:  # M: 15 bits
                if pos + 1 >= n:
                    return None
                pid, pid_bits = ((payload[pos] & 0x7F) << 8) | payload[pos + 1], 15
                pos += 2
            else:
                pid, pid_bits = payload[pos], 7
                pos += 1
        if x & 0x40:  # L
            if pos >= n:
                return None
            tl0, tl0_at = payload[pos], pos
            pos += 1
        if x & 0x30:  # T or K share one octet
            if pos >= n:
                return None
            if x & 0x20:
                tid, sync = payload[pos] >> 6, bool(payload[pos] & 0x20)
            pos += 1
    if pos >= n:
        return None
    keyframe = start and payload[pos] & 0x01 == 0
    return Vp8Descriptor(tid, sync, start, pid, pid_bits, pid_at, tl0, tl0_at, keyframe)


def vp8_rewrite(payload: bytes, d: Vp8Descriptor, picture_id: int, tl0picidx: int) -> bytes:
    """``payload`` with its picture ID and TL0PICIDX replaced (same width, so same length)."""
    out = bytearray(payload)
    if d.picture_id_bits == 15:
        picture_id &= 0x7FFF
        out[d.picture_id_at] = 0x80 | (picture_id >> 8)
        out[d.picture_id_at + 1] = picture_id & 0xFF
    elif d.picture_id_bits == 7:
        out[d.picture_id_at] = picture_id & 0x7F
    if d.tl0picidx_at >= 0:
        out[d.tl0picidx_at] = tl0picidx & 0xFF
    return bytes(out)


class TemporalFilter:
    """Per subscriber stream: which VP8 frames to forward for a temporal-layer target, and how to
    keep what is forwarded a valid stream (the way mediasoup's and Janus's VP8 handling does it).

    Frames are decided whole, on their first packet seen (same RTP timestamp = same frame):
    - a frame whose TID is above the target is dropped; each dropped frame shifts the picture IDs
      that follow down by one, so the subscriber sees consecutive picture IDs;
    - going down takes effect at the next frame; going up only at a frame that is safe to decode
      with what was forwarded: a keyframe, or a frame of the higher layer with the Y (layer sync)
      bit, which depends on TL0 frames only;
    - TL0PICIDX counts TL0 frames, which are never dropped while forwarding, so it stays as it is
      except across a restart (pause/resume), after which both counters continue from the last
      values sent.
    Streams without temporal layers (no T bit) are forwarded whole.
    """

    def __init__(self) -> None:
        self.target = 2  # the highest TID to forward
        self.current = 2  # the highest TID being forwarded (lags the target going up)
        self.frames_dropped = 0
        self._frame_ts: int | None = None
        self._frame_forwarded = True
        self._prev_ts: int | None = None  # the frame before: its late (reordered) packets
        self._prev_forwarded = True
        self._pid_delta = 0  # subtracted from picture IDs, modulo 2**15
        self._tl0_delta = 0  # subtracted from TL0PICIDX, modulo 256
        self._last_pid: int | None = None  # the last values sent
        self._last_tl0: int | None = None
        self._continue = False  # after a restart: the next frame continues the counters

    @property
    def active(self) -> bool:
        """Whether payloads are rewritten (something was dropped, or the stream restarted)."""
        return self._pid_delta != 0 or self._tl0_delta != 0

    def passes_whole(self, d: Vp8Descriptor | None) -> bool:
        """A packet of a stream without temporal layers (no T bit) while no picture ID is being
        shifted: forwarded as it is, without the per-frame bookkeeping (most cameras today)."""
        return (
            d is not None and d.tid == NO_TID and not (self._continue or self._pid_delta or self._tl0_delta)
        )

    def restart(self) -> None:
        self._frame_ts = self._prev_ts = None
        self._continue = self._last_pid is not None or self._last_tl0 is not None

    def forward(self, timestamp: int, keyframe: bool, d: Vp8Descriptor) -> bool:
        """Whether this packet goes out (one decision per frame)."""
        if timestamp == self._frame_ts:
            return self._frame_forwarded
        if timestamp == self._prev_ts:
            return self._prev_forwarded
        tid = 0 if d.tid == NO_TID else d.tid
        if keyframe:
            self.current = self.target
        elif self.target < self.current:
            self.current = self.target
        elif self.current < tid <= self.target and d.layer_sync:
            self.current = tid
        forwarded = tid <= self.current
        if forwarded and self._continue:
            self._continue = False
            if self._last_pid is not None and d.picture_id >= 0:
                self._pid_delta = (d.picture_id - self._last_pid - 1) % (1 << 15)
            if self._last_tl0 is not None and d.tl0picidx >= 0:
                self._tl0_delta = (d.tl0picidx - self._last_tl0 - 1) % 256
        elif not forwarded:
            self.frames_dropped += 1
            self._pid_delta = (self._pid_delta + 1) % (1 << 15)
        self._prev_ts, self._prev_forwarded = self._frame_ts, self._frame_forwarded
        self._frame_ts, self._frame_forwarded = timestamp, forwarded
        return forwarded

    def rewrite(self, payload: bytes, d: Vp8Descriptor) -> bytes:
        """The payload to send for a forwarded packet (a copy only when the IDs moved)."""
        pid = tl0 = 0
        if d.picture_id >= 0:
            pid = (d.picture_id - self._pid_delta) % (1 << d.picture_id_bits)
            self._last_pid = pid
        if d.tl0picidx >= 0:
            tl0 = (d.tl0picidx - self._tl0_delta) % 256
            self._last_tl0 = tl0
        if not self.active:
            return payload
        return vp8_rewrite(payload, d, pid, tl0)


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
    vp8: Vp8Descriptor | None = None  # video: its payload descriptor (None: malformed)


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
# REMB pacing
# ---------------------------------------------------------------------------

REMB_MIN_INTERVAL = 0.2  # seconds between two REMBs to one publisher (libwebrtc's REMB throttle)
REMB_DROP = 0.97  # ... unless the estimate fell by 3 % or more: that one goes at once


class RembPacer:
    """Which of aiortc's REMB estimates go to the publisher: aiortc's estimator offers one on
    every packet while it sees overuse (a loaded machine, a jittery path), each a protected RTCP
    datagram; the sender's bandwidth estimate needs at most one per REMB_MIN_INTERVAL, and a
    fall at once."""

    def __init__(self) -> None:
        self.last_bitrate = 0
        self.last_sent = -1e9
        self.sent = 0
        self.held = 0

    def due(self, bitrate: int, now: float) -> bool:
        if now - self.last_sent < REMB_MIN_INTERVAL and bitrate > self.last_bitrate * REMB_DROP:
            self.held += 1
            return False
        self.last_bitrate, self.last_sent = bitrate, now
        self.sent += 1
        return True
