"""Parts of bench/sfu_meeting.py: the SFU, publishers and subscribers roles (each its own process)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Any

from bench._sfu import connect, join, load_frames, pre_encoded_track, write_json

RECEIVE_BUFFER = 8 * 1024 * 1024  # per subscriber socket: a stalled bench process is not SFU loss


# ---------------------------------------------------------------------------- SFU


async def sfu_main(socket_path: str) -> None:
    from sfu.limits import Limits
    from sfu.worker import SfuWorker

    writers: dict[str, asyncio.StreamWriter] = {}

    async def send(channel: str, message: dict[str, Any]) -> None:
        writer = writers.get(channel)
        if writer is not None:
            await write_json(writer, message)

    # No people or stream caps here: the bench finds where the worker's capacity lies.
    limits = Limits(
        allow_private_candidates=True,
        max_participants_per_meeting=500,
        max_participants_per_worker=500,
        max_streams_per_worker=0,
    )
    worker = SfuWorker(send, host_addresses=["127.0.0.1"], limits=limits)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = f"conn{id(writer)}"
        writers[name] = writer
        while line := await reader.readline():
            message = json.loads(line)
            if message["type"] in ("sfu.join", "sfu.stats"):
                message["reply_channel"] = name
            if message["type"] == "bench.streams":
                await write_json(writer, {"type": "bench.streams", "streams": worker.streams})
                continue
            await worker.call(message)

    server = await asyncio.start_unix_server(client, socket_path)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    print("ready", flush=True)
    async with server:
        await done.wait()
        await asyncio.wait_for(worker.close("bench-over"), 20)


# ---------------------------------------------------------------------------- publishers


def opus_loop(seconds: float = 1.0) -> list[bytes]:
    """20 ms Opus packets of a 440 Hz tone, encoded once (aiortc's own encoder)."""
    import fractions

    import numpy as np
    from aiortc.codecs.opus import OpusEncoder
    from av import AudioFrame

    encoder = OpusEncoder()
    packets: list[bytes] = []
    for i in range(int(seconds * 50)):
        t = (np.arange(960) + i * 960) / 48000
        samples = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(np.repeat(samples, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = 48000, i * 960, fractions.Fraction(1, 48000)
        payloads, _ = encoder.encode(frame)
        packets.extend(payloads)
    return packets


def pre_encoded_audio(packets: list[bytes]) -> Any:
    import fractions

    import av
    from aiortc.mediastreams import MediaStreamTrack

    class PreEncodedAudioTrack(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            self.start = time.time()

        async def recv(self) -> Any:
            self.count += 1
            wait = self.start + self.count * 0.02 - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            packet = av.Packet(packets[(self.count - 1) % len(packets)])
            packet.pts, packet.time_base = self.count * 960, fractions.Fraction(1, 48000)
            return packet

    return PreEncodedAudioTrack()


async def publishers_main(socket_path: str, video_file: str, count: int) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from sfu import aiortc_hooks

    aiortc_hooks.set_host_addresses(["127.0.0.1"])
    frames, audio = load_frames(video_file), opus_loop()
    reader, writer = await connect(socket_path)
    pcs: dict[int, Any] = {}
    for pid in range(1, count + 1):
        pc = pcs[pid] = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver(pre_encoded_audio(audio), direction="sendonly")
        pc.addTransceiver(pre_encoded_track(frames[pid % 30 :] + frames[: pid % 30]), direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        await write_json(writer, join(pid))
        await pc.setLocalDescription(await pc.createOffer())
        await write_json(
            writer, {"type": "sfu.publish_offer", "participant": pid, "sdp": pc.localDescription.sdp}
        )
    answered = 0
    while answered < count:  # subscribe offers to publishers stay unanswered: they only send
        message = json.loads(await asyncio.wait_for(reader.readline(), 30))
        if message["type"] == "sfu.publish_answer":
            await pcs[message["participant"]].setRemoteDescription(
                RTCSessionDescription(message["sdp"], "answer")
            )
            answered += 1
    print("publishing", flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
    for pc in pcs.values():
        await pc.close()


# ---------------------------------------------------------------------------- subscribers


class StreamCounter:
    """Packets received vs expected (from extended sequence numbers) and bytes of one SSRC."""

    __slots__ = ("first", "highest", "received", "octets")

    def __init__(self, seq: int) -> None:
        self.first = self.highest = seq
        self.received = 0
        self.octets = 0

    def add(self, seq: int, size: int) -> None:
        delta = (seq - self.highest) & 0xFFFF
        if delta < 0x8000:
            self.highest += delta
        self.received += 1
        self.octets += size

    @property
    def expected(self) -> int:
        return self.highest - self.first + 1


async def subscribers_main(socket_path: str, first: int, count: int, show: int, publishers: int) -> None:
    """Receive-only subscribers; each shows ``show`` of the publishers 1..``publishers`` (a
    different set for each, as in a meeting's grids) when given, else all of them."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from sfu import aiortc_hooks
    from sfu.aiortc_hooks_io import count_srtp

    aiortc_hooks.set_host_addresses(["127.0.0.1"])
    streams: dict[tuple[int, int], StreamCounter] = {}

    def counter(pid: int) -> Any:
        def on_rtp(ssrc: int, seq: int, size: int) -> None:
            c = streams.get((pid, ssrc))
            if c is None:
                c = streams[(pid, ssrc)] = StreamCounter(seq)
            c.add(seq, size)

        return on_rtp

    pcs: dict[int, Any] = {}
    hooked: set[int] = set()
    reader, writer = await connect(socket_path)
    for pid in range(first, first + count):
        pcs[pid] = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await write_json(writer, join(pid))

    async def pump() -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if message["type"] != "sfu.subscribe_offer":
                continue
            pid = message["participant"]
            pc = pcs[pid]
            await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            if pid not in hooked:  # one bundled connection per subscriber
                hooked.add(pid)
                count_srtp(pc, counter(pid), receive_buffer=RECEIVE_BUFFER)
            await write_json(
                writer, {"type": "sfu.subscribe_answer", "participant": pid, "sdp": pc.localDescription.sdp}
            )
            if show:
                visible = [(pid + i) % publishers + 1 for i in range(show)]
                await write_json(writer, {"type": "sfu.set_visible", "participant": pid, "visible": visible})

    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    pump_task = asyncio.create_task(pump())
    while not done.is_set():
        totals = [sum(getattr(c, f) for c in streams.values()) for f in ("received", "expected", "octets")]
        print(json.dumps({"t": time.time(), "streams": len(streams), "counts": totals}), flush=True)
        try:
            await asyncio.wait_for(done.wait(), 0.5)
        except TimeoutError:
            pass
    pump_task.cancel()
    try:
        await pump_task
    except asyncio.CancelledError:
        pass
    for pc in pcs.values():
        await pc.close()
