"""A publisher with real VP8 temporal layers (L1T3), as Chrome sends when asked for ``L1T3``.

The frames are encoded once (per process) by libvpx through PyAV with FFmpeg's
``ts-parameters`` (``ts_layering_mode=3``: three layers in the pattern 0-2-1-2, each layer
referencing only lower ones; error resilient, so no frame carries entropy state to the next).
aiortc's own VP8 packetizer writes no temporal-layer fields, so the packer here writes the
payload descriptor as libwebrtc does: picture ID, TL0PICIDX, TID and the Y (layer sync) bit.

``layer_check()`` proves the structure: decoding only the TL0 frames (or TL0+TL1) gives the same
pictures, bit for bit, as decoding everything, at those frames.
"""

from __future__ import annotations

import fractions
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiortc.codecs.vpx import PACKET_MAX
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase

from conference.testing.peers import PatternVideoTrack
from conference.testing.vp8 import PreEncodedVideoTrack

PATTERN = (0, 2, 1, 2)  # TID of frames 0..3 of each period (FFmpeg's ts_layering_mode=3)
SYNC = (False, True, True, False)  # Y: frame 1 (TL2) and frame 2 (TL1) reference TL0 only


@dataclass(frozen=True)
class LayeredFrame:
    data: bytes
    tid: int
    sync: bool
    keyframe: bool


@dataclass
class EncodedPicture:
    """What the track yields: aiortc's sender hands it to the encoder's pack() as it is."""

    frame: LayeredFrame
    pts: int
    time_base: fractions.Fraction

    def __bytes__(self) -> bytes:
        return self.frame.data


@cache
def layered_vp8_loop(
    width: int = 320, height: int = 240, frames: int = 64, keyframe_every: int = 32, kbps: int = 600
) -> tuple[LayeredFrame, ...]:
    """``frames`` L1T3 frames of PatternVideoTrack's picture; TL0 gets 40 % of ``kbps``, TL1
    20 %, TL2 40 % (libwebrtc's split)."""
    import av

    assert keyframe_every % len(PATTERN) == 0 and frames % keyframe_every == 0
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = kbps * 1000
    codec.framerate = 30
    codec.gop_size = keyframe_every
    rates = f"{kbps * 4 // 10},{kbps * 6 // 10},{kbps}"
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "error-resilient": "1",
        "ts-parameters": (
            f"ts_number_layers=3:ts_target_bitrate={rates}:ts_rate_decimator=4,2,1:"
            "ts_periodicity=4:ts_layer_id=0,2,1,2:ts_layering_mode=3"
        ),
    }
    pattern = PatternVideoTrack(width, height)
    data: list[bytes] = []
    for i in range(1, frames + 1):
        data.extend(bytes(p) for p in codec.encode(pattern.picture(i).reformat(format="yuv420p")))
    data.extend(bytes(p) for p in codec.encode(None))
    assert len(data) == frames, "libvpx dropped or added frames"
    return tuple(
        LayeredFrame(d, PATTERN[i % 4], SYNC[i % 4], keyframe=bool(d) and d[0] & 1 == 0)
        for i, d in enumerate(data)
    )


def layer_check(loop: tuple[LayeredFrame, ...], max_tid: int) -> tuple[int, int]:
    """(frames of TID <= max_tid decoded alone that equal the full decode, frames of that set)."""
    import av

    def decode(frames: list[LayeredFrame]) -> list[bytes]:
        decoder = av.CodecContext.create("libvpx", "r")
        return [bytes(p.planes[0]) for f in frames for p in decoder.decode(av.Packet(f.data))]

    full = decode(list(loop))
    kept = [i for i, f in enumerate(loop) if f.tid <= max_tid]
    alone = decode([loop[i] for i in kept])
    return sum(full[i] == alone[k] for k, i in enumerate(kept)), len(kept)


class LayeredVideoTrack(PreEncodedVideoTrack):
    """Yields the loop's layered frames at ``fps`` (for LayeredVp8Packer); keyframe requests are
    not honoured (one per loop)."""

    def __init__(self, frames: tuple[LayeredFrame, ...] | None = None, fps: int = 30) -> None:
        super().__init__(frames or layered_vp8_loop(), fps)  # type: ignore[arg-type]

    async def recv(self) -> Any:
        frame, pts = await self.paced()
        return EncodedPicture(frame, pts, fractions.Fraction(1, 90000))


class LayeredVp8Packer:
    """An aiortc encoder that only packs EncodedPictures, with the temporal-layer descriptor."""

    def __init__(self) -> None:
        self.picture_id = random.randint(0, (1 << 15) - 1)  # 15 bits, as libwebrtc sends
        self.tl0picidx = random.randint(0, 255)

    def pack(self, picture: EncodedPicture) -> tuple[list[bytes], int]:
        frame = picture.frame
        if frame.tid == 0:
            self.tl0picidx = (self.tl0picidx + 1) % 256
        tail = bytes(
            [
                0xE0,  # I, L, T
                0x80 | (self.picture_id >> 8),
                self.picture_id & 0xFF,
                self.tl0picidx,
                (frame.tid << 6) | (0x20 if frame.sync else 0),
            ]
        )
        payloads, pos, first = [], 0, 0x90  # X, S (partition 0)
        while pos < len(frame.data):
            size = min(len(frame.data) - pos, PACKET_MAX - 1 - len(tail))
            payloads.append(bytes([first]) + tail + frame.data[pos : pos + size])
            first, pos = 0x80, pos + size
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, convert_timebase(picture.pts, picture.time_base, VIDEO_TIME_BASE)
