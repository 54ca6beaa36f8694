"""aiortc peers that behave like the browser side of the SFU protocol (for tests and the bench)."""

from __future__ import annotations

import asyncio
import fractions
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaBlackhole
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame

VIDEO_CLOCK_RATE = 90000


class PatternVideoTrack(VideoStreamTrack):
    """A moving gradient, so the VP8 encoder has real work and frames differ."""

    def __init__(self, width: int = 320, height: int = 240, fps: int = 30) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._count = 0
        self._start: float | None = None
        x = np.arange(width, dtype=np.uint16)
        y = np.arange(height, dtype=np.uint16)[:, None]
        self._base = (x[None, :] + y).astype(np.uint16)

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.time()
        self._count += 1
        wait = self._start + self._count / self.fps - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        return self.picture(self._count)

    def picture(self, count: int) -> VideoFrame:
        shift = count * 4
        plane = ((self._base + shift) % 256).astype(np.uint8)
        rgb = np.stack([plane, np.roll(plane, count, axis=1), 255 - plane], axis=2)
        frame = VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = int(count * VIDEO_CLOCK_RATE / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        return frame


Handle = Callable[[dict[str, Any]], Awaitable[None]]


class BrowserPeer:
    """Publish PC + subscribe PC speaking the sfu.* protocol through ``handle``.

    Replies for this peer arrive in ``inbox`` (the test's send() puts them there); ``run()``
    answers them. Frames received are counted per (publisher, kind).

    With ``decode=False`` nothing received is decoded (a null sink, far cheaper): video frames
    are counted by their RTP marker bit, audio by packets, retransmissions (told apart by their
    RTX payload type) in ``rtx_received``, and ``last_rtp`` keeps each source's last media
    (SSRC, sequence number) as the SFU sent it.
    """

    def __init__(
        self,
        participant: int,
        handle: Handle,
        *,
        video: MediaStreamTrack | None = None,
        audio: MediaStreamTrack | None = None,
        decode: bool = True,
    ) -> None:
        self.participant = participant
        self.handle = handle
        self.video = video
        self.audio = audio
        self.decode = decode
        self.inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()  # None: stop
        self.publish_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.subscribe_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks: dict[str, dict[str, Any]] = {}
        self.frames: Counter[tuple[int, str]] = Counter()
        self.first_frame_at: dict[tuple[int, str], float] = {}
        self.errors: list[dict[str, Any]] = []
        self.closed: list[dict[str, Any]] = []
        self.offers = 0
        self.publish_answered = asyncio.Event()
        self.keyframes_requested = 0
        self._tasks: list[asyncio.Future[None]] = []
        self._runner: asyncio.Future[None] | None = None
        self._blackholes: list[MediaBlackhole] = []
        self.rtx_received = 0
        self.last_rtp: dict[tuple[int, str], tuple[int, int]] = {}
        self._rtx_payload_types: set[int] = set()
        self._counted: set[int] = set()  # ids of receivers with a counting hook
        self._ssrc_mids: dict[int, str] = {}  # SSRC -> mid of its section, from the SFU's offers
        self.subscribe_connected_at: float | None = None
        self.subscribe_pc.on("track", self._on_track)
        self.subscribe_pc.on("connectionstatechange", self._on_state)

    def _on_state(self) -> None:
        if self.subscribe_pc.connectionState == "connected" and self.subscribe_connected_at is None:
            self.subscribe_connected_at = time.monotonic()

    # -------------------------------------------------------------- publishing

    async def publish(self) -> None:
        pc = self.publish_pc
        audio_t = pc.addTransceiver(self.audio or "audio", direction="sendonly")
        video_t = pc.addTransceiver(self.video or "video", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")  # screen, off
        del audio_t
        sender: RTCRtpSender = video_t.sender
        original = sender._send_keyframe

        def counting_keyframe() -> None:
            self.keyframes_requested += 1
            original()

        sender._send_keyframe = counting_keyframe  # type: ignore[method-assign]
        await pc.setLocalDescription(await pc.createOffer())
        await self.handle(
            {"type": "sfu.publish_offer", "participant": self.participant, "sdp": pc.localDescription.sdp}
        )

    # ------------------------------------------------------------- subscribing

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self.decode:
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

    def _count_without_decoding(self, sdp: str) -> None:
        from sfu.aiortc_hooks_io import count_rtp

        self._rtx_payload_types |= {int(pt) for pt in re.findall(r"a=rtpmap:(\d+) rtx/", sdp)}
        # aiortc's router may hand packets of several same-codec sections to one receiver (it
        # routes by payload type when it cannot tell): count by the SSRCs each section announces.
        for section in sdp.split("\r\nm=")[1:]:
            mid = re.search(r"a=mid:(\S+)", section)
            if mid is not None:
                for ssrc in re.findall(r"a=ssrc:(\d+) ", section):
                    self._ssrc_mids[int(ssrc)] = mid.group(1)
        for transceiver in self.subscribe_pc.getTransceivers():
            if id(transceiver.receiver) not in self._counted:
                self._counted.add(id(transceiver.receiver))
                count_rtp(transceiver.receiver, self._counter(transceiver))

    def _counter(self, transceiver: Any) -> Callable[[Any], None]:
        def on_packet(packet: Any) -> None:
            if packet.payload_type in self._rtx_payload_types:
                self.rtx_received += 1
                return
            info = self.tracks.get(self._ssrc_mids.get(packet.ssrc, transceiver.mid or ""))
            key = (info["participant"], info["kind"]) if info else (-1, transceiver.kind)
            self.last_rtp[key] = (packet.ssrc, packet.sequence_number)
            if key[1] == "audio" or packet.marker:
                self.frames[key] += 1
                self.first_frame_at.setdefault(key, time.monotonic())

        return on_packet

    def _source_of(self, track: MediaStreamTrack) -> tuple[int, str]:
        for t in self.subscribe_pc.getTransceivers():
            if t.receiver.track is track and t.mid in self.tracks:
                info = self.tracks[t.mid]
                return info["participant"], info["kind"]
        return -1, track.kind

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                key = self._source_of(track)
                self.frames[key] += 1
                self.first_frame_at.setdefault(key, time.monotonic())
        except Exception:
            return

    async def run(self) -> None:
        while True:
            message = await self.inbox.get()
            if message is None:
                return
            kind = message["type"]
            if kind == "sfu.publish_answer":
                await self.publish_pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
                self.publish_answered.set()
            elif kind == "sfu.subscribe_offer":
                self.offers += 1
                self.tracks.update(message["tracks"])
                pc = self.subscribe_pc
                await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
                if not self.decode:
                    self._count_without_decoding(message["sdp"])
                await pc.setLocalDescription(await pc.createAnswer())
                await self.handle(
                    {
                        "type": "sfu.subscribe_answer",
                        "participant": self.participant,
                        "sdp": pc.localDescription.sdp,
                    }
                )
            elif kind == "sfu.error":
                self.errors.append(message)
            elif kind == "sfu.closed":
                self.closed.append(message)

    def start(self) -> None:
        self._runner = asyncio.ensure_future(self.run())
        self._tasks.append(self._runner)

    def receiver_for(self, publisher: int, kind: str) -> Any:
        for t in self.subscribe_pc.getTransceivers():
            info = self.tracks.get(t.mid or "")
            if info and info["participant"] == publisher and info["kind"] == kind:
                return t.receiver
        return None

    async def close(self, timeout: float = 5.0) -> None:
        # run() is stopped by a message, not cancelled: a cancellation that lands while it sends
        # over the channel layer can be swallowed by redis-py, and the task then never ends.
        self.inbox.put_nowait(None)
        if self._tasks:
            if self._runner is not None:
                await asyncio.wait([self._runner], timeout=timeout)
            for task in self._tasks:
                task.cancel()  # no-op for the runner that stopped
            _, stuck = await asyncio.wait(self._tasks, timeout=timeout)
            if stuck:
                raise AssertionError(f"peer {self.participant}: tasks did not end: {stuck}")
        for pc in (self.publish_pc, self.subscribe_pc):
            await asyncio.wait_for(pc.close(), timeout)


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


class SfuHarness:
    """An in-process SfuWorker (the real one, on 127.0.0.1) and BrowserPeers joined to one meeting.

    The worker's replies go straight to the peers' inboxes; everything sent is kept in ``sent``.
    """

    MEETING = 7

    def __init__(self, **worker_kwargs: Any) -> None:
        from sfu.worker import SfuWorker

        self.peers: dict[int, BrowserPeer] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.worker = SfuWorker(
            self.send, host_addresses=["127.0.0.1"], pli_min_interval=0.3, **worker_kwargs
        )

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))
        if channel.startswith("reply."):
            self.peers[int(channel.split(".")[1])].inbox.put_nowait(message)

    async def join(
        self,
        participant: int,
        *,
        publish: bool = True,
        captions: bool = False,
        video: bool = True,
        decode: bool = True,
    ) -> BrowserPeer:
        peer = BrowserPeer(
            participant,
            self.worker.call,
            video=PatternVideoTrack() if publish and video else None,
            audio=AudioStreamTrack() if publish else None,
            decode=decode,
        )
        self.peers[participant] = peer
        peer.start()
        await self.worker.call(
            {
                "type": "sfu.join",
                "meeting": self.MEETING,
                "room": 3,
                "meeting_started_at": time.time(),
                "captions": captions,
                "participant": participant,
                "name": f"P{participant}",
                "reply_channel": f"reply.{participant}",
            }
        )
        await peer.publish()
        return peer

    async def close(self) -> None:
        await self.worker.close("test-over")
        for peer in self.peers.values():
            await peer.close()


__all__ = ["AudioStreamTrack", "BrowserPeer", "PatternVideoTrack", "SfuHarness", "wait_for"]
