"""A video track that sends a VP8 loop encoded once beforehand: a publisher that costs almost no
CPU, so tests and benches with many publishers leave the cores to the SFU under test."""

from __future__ import annotations

import asyncio
import fractions
import time
from functools import cache
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from conference.testing.peers import PatternVideoTrack


@cache
def vp8_loop(
    width: int = 320, height: int = 240, frames: int = 60, keyframe_every: int = 10
) -> tuple[bytes, ...]:
    """``frames`` VP8 frames of PatternVideoTrack's picture, a keyframe every ``keyframe_every``
    (new subscribers wait for one: a short interval keeps their start quick)."""
    import av

    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = 300_000
    codec.framerate = 30
    codec.gop_size = keyframe_every
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    pattern = PatternVideoTrack(width, height)
    out: list[bytes] = []
    for i in range(1, frames + 1):
        out.extend(bytes(p) for p in codec.encode(pattern.picture(i).reformat(format="yuv420p")))
    out.extend(bytes(p) for p in codec.encode(None))
    return tuple(out)


class PreEncodedVideoTrack(MediaStreamTrack):
    """Yields the loop's encoded frames as ``av.Packet``s at ``fps``: aiortc's sender packs them
    as they are (no encoder runs). Keyframe requests are not honoured: the loop has them often."""

    kind = "video"

    def __init__(self, frames: tuple[bytes, ...] | None = None, fps: int = 30) -> None:
        super().__init__()
        self.frames = frames or vp8_loop()
        self.fps = fps
        self.count = 0
        self.start: float | None = None

    async def paced(self) -> tuple[Any, int]:
        """Wait for the next frame's time; that frame of the loop and its pts (90 kHz)."""
        if self.start is None:
            self.start = time.time()
        self.count += 1
        wait = self.start + self.count / self.fps - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        return self.frames[(self.count - 1) % len(self.frames)], int(self.count * 90000 / self.fps)

    async def recv(self) -> Any:
        import av

        data, pts = await self.paced()
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = fractions.Fraction(1, 90000)
        return packet
