"""A receive-only subscriber in another process (and network namespace) behind a shaped link.

The subscriber side (run with ``VethLink.command``)::

    python -m conference.testing.linkpeer SOCKET PARTICIPANT ADDRESS

is a BrowserPeer that decodes what it gets (so it sends real receiver reports, NACKs and REMB)
and gathers only on ADDRESS. It speaks the sfu.* protocol as newline-delimited JSON over the
Unix socket SOCKET (a file: it crosses network namespaces), and every 0.25 s it sends
``{"type": "test.counts", "frames": {"<publisher>:<kind>": n}, "video_at": [...], ...}``: the
arrival times (time.time()) of the video frames decoded since the previous report, of the video
frames delivered as RTP (``rtp_video_at``), and the audio RTP packets received (``rtp_audio``).

The test side is :class:`LinkSubscriber`: it serves the socket, relays the peer's commands to
an SfuHarness's worker and the worker's replies to the peer, and keeps the counts.
:class:`ShapedMeeting` puts it together for tests and bench/sfu_congestion.py: an in-process SFU
and an L1T3 publisher on the SFU side of a VethLink, the subscriber behind it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from typing import Any

from conference.testing.peers import BrowserPeer

REPORT_EVERY = 0.25


class TimingPeer(BrowserPeer):
    """A BrowserPeer that also keeps the arrival time of each video frame, twice: as RTP (the
    packet with the marker bit, or its retransmission: what the link delivered) and decoded
    (what aiortc's jitter buffer and decoder made of it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.video_at: list[float] = []
        self.rtp_video_at: list[float] = []
        self.rtp_audio = 0
        self._seen: set[int] = set()  # video sequence numbers whose marker was counted
        self._tapped: set[int] = set()

    def _on_track(self, track: Any) -> None:
        from sfu.aiortc_hooks_io import tap_rtp

        super()._on_track(track)
        for transceiver in self.subscribe_pc.getTransceivers():
            if id(transceiver) not in self._tapped:
                self._tapped.add(id(transceiver))
                tap_rtp(transceiver.receiver, self._rtp_counter(transceiver))

    def _rtp_counter(self, transceiver: Any) -> Any:
        def on_packet(packet: Any, rtx: bool) -> None:
            info = self.tracks.get(transceiver.mid or "")
            if info is None:
                return
            if info["kind"] == "audio":
                self.rtp_audio += 1
                return
            if info["kind"] != "video" or not packet.marker:
                return
            seq = int.from_bytes(packet.payload[:2], "big") if rtx else packet.sequence_number
            if rtx and len(packet.payload) < 2 or seq in self._seen:
                return
            self._seen.add(seq)
            if len(self._seen) > 4096:
                self._seen.clear()
            self.rtp_video_at.append(time.time())

        return on_packet

    async def _consume(self, track: Any) -> None:
        try:
            while True:
                await track.recv()
                key = self._source_of(track)
                self.frames[key] += 1
                if key[1] == "video":
                    self.video_at.append(time.time())
        except Exception:
            return


async def peer_main(socket_path: str, participant: int, address: str) -> None:
    from sfu import aiortc_hooks

    aiortc_hooks.set_host_addresses([address])
    reader, writer = await asyncio.open_unix_connection(socket_path)

    async def send(message: dict[str, Any]) -> None:
        writer.write(json.dumps(message).encode() + b"\n")
        await writer.drain()

    peer = TimingPeer(participant, send, decode=True)
    peer.start()

    async def report() -> None:
        while True:
            await asyncio.sleep(REPORT_EVERY)
            times, peer.video_at = peer.video_at, []
            rtp_times, peer.rtp_video_at = peer.rtp_video_at, []
            frames = {f"{p}:{k}": n for (p, k), n in peer.frames.items()}
            await send(
                {
                    "type": "test.counts",
                    "frames": frames,
                    "video_at": times,
                    "rtp_video_at": rtp_times,
                    "rtp_audio": peer.rtp_audio,
                }
            )

    reporter = asyncio.create_task(report())
    try:
        while line := await reader.readline():
            peer.inbox.put_nowait(json.loads(line))
    finally:
        reporter.cancel()
        await asyncio.gather(reporter, return_exceptions=True)
        await peer.close()


class LinkSubscriber:
    """The test side of one linkpeer process: relays its sfu.* commands to ``handle``."""

    def __init__(self, participant: int, handle: Any, socket_path: str) -> None:
        self.participant = participant
        self.handle = handle
        self.socket_path = socket_path
        self.inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()  # replies for the peer
        self.frames: Counter[str] = Counter()
        self.video_at: list[float] = []  # decoded video frames' arrival (time.time())
        self.rtp_video_at: list[float] = []  # video frames' marker packets' arrival
        self.rtp_audio = 0  # audio RTP packets received
        self.connected = asyncio.Event()
        self.process: asyncio.subprocess.Process | None = None
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, argv_prefix: list[str], address: str) -> None:
        self._server = await asyncio.start_unix_server(self._serve, self.socket_path)
        self.process = await asyncio.create_subprocess_exec(
            *argv_prefix,
            sys.executable,
            "-m",
            "conference.testing.linkpeer",
            self.socket_path,
            str(self.participant),
            address,
            cwd=os.getcwd(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        await asyncio.wait_for(self.connected.wait(), 30)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connected.set()
        pump = asyncio.create_task(self._replies(writer))
        self._tasks.append(pump)
        try:
            while line := await reader.readline():
                message = json.loads(line)
                if message.get("type") == "test.counts":
                    self.frames = Counter(message["frames"])
                    self.video_at.extend(message["video_at"])
                    self.rtp_video_at.extend(message["rtp_video_at"])
                    self.rtp_audio = message["rtp_audio"]
                else:
                    await self.handle(message)
        finally:
            self.inbox.put_nowait(None)

    async def _replies(self, writer: asyncio.StreamWriter) -> None:
        while (message := await self.inbox.get()) is not None:
            writer.write(json.dumps(message).encode() + b"\n")
            await writer.drain()
        writer.close()

    def count(self, publisher: int, kind: str) -> int:
        return self.frames[f"{publisher}:{kind}"]

    async def close(self, timeout: float = 10.0) -> None:
        self.inbox.put_nowait(None)  # the peer sees its socket close and stops
        if self.process is not None and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class ShapedMeeting:
    """SFU + publisher (camera with three temporal layers, audio) in this thread, inside the
    link's SFU-side namespace; one decoding subscriber in the other namespace. Use inside
    ``link.inside_sfu_side()`` from start() to close()."""

    PUBLISHER, SUBSCRIBER = 1, 2

    def __init__(self, link: Any, socket_path: str, *, adapt: bool = True, kbps: int = 900) -> None:
        self.link = link
        self.socket_path = socket_path
        self.adapt = adapt
        self.kbps = kbps
        self.harness: Any = None
        self.publisher: BrowserPeer | None = None
        self.subscriber: LinkSubscriber | None = None

    async def start(self) -> None:
        from conference.testing.hostile import join_message
        from conference.testing.layers import LayeredVideoTrack, LayeredVp8Packer, layered_vp8_loop
        from conference.testing.peers import AudioStreamTrack, SfuHarness
        from sfu import aiortc_hooks, aiortc_hooks_io
        from sfu.limits import Limits

        h = self.harness = SfuHarness(limits=Limits(allow_private_candidates=True, adapt=self.adapt))
        aiortc_hooks.set_host_addresses([self.link.sfu_address])
        track = LayeredVideoTrack(layered_vp8_loop(kbps=self.kbps))
        publisher = self.publisher = BrowserPeer(
            self.PUBLISHER, h.worker.call, video=track, audio=AudioStreamTrack(), decode=False
        )
        h.peers[self.PUBLISHER] = publisher
        publisher.start()
        await h.worker.call({**join_message(self.PUBLISHER, h.MEETING), "room": 3})
        await publisher.publish()
        aiortc_hooks_io.use_encoder(publisher.publish_pc.getTransceivers()[1].sender, LayeredVp8Packer())
        sub = self.subscriber = LinkSubscriber(self.SUBSCRIBER, h.worker.call, self.socket_path)
        h.peers[self.SUBSCRIBER] = sub
        await sub.start(self.link.command(), self.link.sub_address)
        await h.worker.call({**join_message(self.SUBSCRIBER, h.MEETING), "room": 3})

    def video_streams(self) -> list[Any]:
        """The subscriber's SubscriberStreams forwarding the publisher's camera."""
        p = self.harness.worker.participants[self.SUBSCRIBER]
        return [s.stream for s in p.slots if s.publisher == self.PUBLISHER and s.kind == "video"]

    def link_adapter(self) -> Any:
        return self.harness.worker.participants[self.SUBSCRIBER].link

    def link_replies(self) -> list[dict[str, Any]]:
        return [m for c, m in self.harness.sent if m.get("type") == "sfu.link"]

    async def close(self) -> None:
        if self.harness is not None:
            await self.harness.close()


if __name__ == "__main__":
    asyncio.run(peer_main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
