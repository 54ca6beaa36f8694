"""Test support for hostile clients: two meetings on one in-process SfuWorker, crafted RTP/RTCP.

A crafted packet goes through the real SRTP session of a test peer's connection (its DTLS
transport protects it and sends it on the nominated ICE pair), so the SFU sees exactly what a
modified browser could send. Used by sfu/tests/test_hostile_*.py and bench/sfu_hostile.py.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection

from conference.testing.peers import AudioStreamTrack, BrowserPeer, PatternVideoTrack, wait_for
from sfu.limits import Limits
from sfu.worker import SfuWorker

HOSTILE_MEETING = 1
QUIET_MEETING = 2


class Harness:
    """One worker; peers join any meeting; commands go through ``worker.call`` (waits until run)."""

    def __init__(self, limits: Limits | None = None, **worker_kwargs: Any) -> None:
        self.peers: dict[int, BrowserPeer] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        limits = limits or Limits(allow_private_candidates=True, pli_min_interval=0.3)
        self.worker = SfuWorker(self.send, host_addresses=["127.0.0.1"], limits=limits, **worker_kwargs)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))
        if channel.startswith("reply."):
            peer = self.peers.get(int(channel.split(".")[1]))
            if peer is not None:
                peer.inbox.put_nowait(message)

    async def join(
        self, participant: int, meeting: int, *, publish: bool = True, video: bool = True
    ) -> BrowserPeer:
        peer = BrowserPeer(
            participant,
            self.worker.call,
            video=PatternVideoTrack() if publish and video else None,
            audio=AudioStreamTrack() if publish else None,
        )
        self.peers[participant] = peer
        peer.start()
        await self.worker.call(join_message(participant, meeting))
        await peer.publish()
        return peer

    async def leave(self, participant: int) -> None:
        await self.worker.call({"type": "sfu.leave", "participant": participant})
        peer = self.peers.pop(participant, None)
        if peer is not None:
            await peer.close()

    async def close(self) -> None:
        await self.worker.close("test-over")
        for peer in self.peers.values():
            await peer.close()

    def errors(self, participant: int) -> list[dict[str, Any]]:
        return [m for c, m in self.sent if c == f"reply.{participant}" and m["type"] == "sfu.error"]


def join_message(participant: int, meeting: int) -> dict[str, Any]:
    return {
        "type": "sfu.join",
        "meeting": meeting,
        "room": meeting,
        "meeting_started_at": time.time(),
        "captions": False,
        "participant": participant,
        "name": f"P{participant}",
        "reply_channel": f"reply.{participant}",
    }


# ---------------------------------------------------------------------------- crafting


def dtls(pc: RTCPeerConnection) -> Any:
    """The (bundled) DTLS transport of a test peer's connection."""
    return pc.getTransceivers()[0].sender.transport


def rtp(
    *,
    ssrc: int,
    seq: int,
    pt: int,
    payload: bytes = b"\x10\x00\x00\x00",
    timestamp: int = 0,
    marker: int = 0,
    padding: int = 0,
) -> bytes:
    first = 0x80 | (0x20 if padding else 0)
    header = struct.pack("!BBHII", first, (marker << 7) | (pt & 0x7F), seq & 0xFFFF, timestamp, ssrc)
    pad = b"\x00" * (padding - 1) + bytes([padding]) if padding else b""
    return header + payload + pad


def nack(sender_ssrc: int, media_ssrc: int, entries: list[tuple[int, int]]) -> bytes:
    """A generic NACK with the given (pid, blp) entries, repeated as the caller likes."""
    fci = b"".join(struct.pack("!HH", pid & 0xFFFF, blp & 0xFFFF) for pid, blp in entries)
    body = struct.pack("!LL", sender_ssrc, media_ssrc) + fci
    return struct.pack("!BBH", 0x80 | 1, 205, len(body) // 4) + body


def pli(sender_ssrc: int, media_ssrc: int) -> bytes:
    return struct.pack("!BBHLL", 0x80 | 1, 206, 2, sender_ssrc, media_ssrc)


async def send_raw(pc: RTCPeerConnection, data: bytes) -> bool:
    """SRTP-protect and send one datagram on pc (RTCP when its second byte is 192-223)."""
    try:
        await dtls(pc)._send_rtp(data)
    except Exception:
        return False
    return True


def publisher_ssrcs(peer: BrowserPeer) -> dict[str, int]:
    """The SSRCs a test publisher announced (audio, video)."""
    t = peer.publish_pc.getTransceivers()
    return {"audio": t[0].sender._ssrc, "video": t[1].sender._ssrc}


def payload_types(peer: BrowserPeer) -> dict[str, int]:
    """The payload types of the publisher's offer (Opus, VP8)."""
    sdp = peer.publish_pc.localDescription.sdp
    return {
        "audio": int(re.search(r"a=rtpmap:(\d+) opus/48000", sdp).group(1)),  # type: ignore[union-attr]
        "video": int(re.search(r"a=rtpmap:(\d+) VP8/90000", sdp).group(1)),  # type: ignore[union-attr]
    }


# ---------------------------------------------------------------------------- probing


@dataclass
class Probe:
    """Command latency and loop lag of the quiet meeting while something else goes on."""

    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        if not self.latencies:
            return float("inf")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("inf")

    @property
    def p95(self) -> float:
        return self.p(0.95)

    @property
    def max_lag(self) -> float:
        return max(self.lags, default=0.0)


async def probe(worker: SfuWorker, participant: int, seconds: float, interval: float = 0.02) -> Probe:
    """Send a harmless command of ``participant``'s meeting every interval; time each answer."""
    result = Probe()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        await worker.call(
            {"type": "sfu.set_muted", "participant": participant, "kind": "screen", "muted": True}, timeout=5
        )
        result.latencies.append(time.monotonic() - start)
        before = time.monotonic()
        await asyncio.sleep(interval)
        result.lags.append(time.monotonic() - before - interval)
    return result


async def quiet_meeting(h: Harness, first: int = 101) -> tuple[BrowserPeer, BrowserPeer]:
    """A publisher and a subscriber in QUIET_MEETING, media flowing."""
    pub = await h.join(first, QUIET_MEETING)
    sub = await h.join(first + 1, QUIET_MEETING, publish=False)
    await wait_for(lambda: sub.frames[(first, "video")] >= 5, 15, "video in the quiet meeting")
    return pub, sub


async def flowing(sub: BrowserPeer, publisher: int, seconds: float = 1.0, kind: str = "video") -> int:
    """Frames the subscriber got from publisher within the next ``seconds``."""
    before = sub.frames[(publisher, kind)]
    await asyncio.sleep(seconds)
    return sub.frames[(publisher, kind)] - before


async def attack(seconds: float, send_one: Any, per_tick: int = 10, tick: float = 0.01) -> int:
    """``await send_one(i)`` per_tick times every tick for ``seconds`` (~1,000/s by default)."""
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(per_tick):
            await send_one(count)
            count += 1
        await asyncio.sleep(tick)
    return count


async def under_attack(
    h: Harness, quiet: tuple[BrowserPeer, BrowserPeer], seconds: float, send_one: Any, **attack_kwargs: Any
) -> tuple[Probe, int, int]:
    """Probe the quiet meeting while the attack runs: (probe, packets sent, quiet frames meanwhile)."""
    pub, sub = quiet
    before = sub.frames[(pub.participant, "video")]
    probed, sent = await asyncio.gather(
        probe(h.worker, sub.participant, seconds), attack(seconds, send_one, **attack_kwargs)
    )
    return probed, sent, sub.frames[(pub.participant, "video")] - before
