"""RTP helpers without aiortc: VP8 keyframe detection, the shared packet history, REMB pacing."""

from __future__ import annotations

from dataclasses import dataclass

HISTORY_SIZE = 1024


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
