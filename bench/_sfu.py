"""Parts of bench/sfu_fanout.py: the signaling over a Unix socket, the publisher's pre-encoded VP8
loop, the publisher and subscriber roles, spawning roles and reading CPU figures from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
MEETING = 1
PUBLISHER = 1

# ---------------------------------------------------------------------------- signaling
# Newline-delimited JSON over a Unix socket: clients send sfu.* commands, the SFU process
# answers on the connection that joined the participant.


async def write_json(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    writer.write(json.dumps(message).encode() + b"\n")
    await writer.drain()


# ---------------------------------------------------------------------------- client roles


async def connect(socket_path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    for _ in range(100):
        try:
            return await asyncio.open_unix_connection(socket_path)
        except (FileNotFoundError, ConnectionRefusedError):
            await asyncio.sleep(0.1)
    raise SystemExit("SFU socket never appeared")


def join(pid: int) -> dict[str, Any]:
    return {
        "type": "sfu.join",
        "meeting": MEETING,
        "room": MEETING,
        "meeting_started_at": time.time(),
        "captions": False,
        "participant": pid,
        "name": f"p{pid}",
        "reply_channel": "",
    }


def camera_like_frames(count: int, fps: int) -> Any:
    """640x480 frames like a camera slowly panning over a textured scene, with something moving
    in it: the kind of picture a relay's encoders work on (a flat gradient would flatter them)."""
    import numpy as np
    from av import VideoFrame

    rng = np.random.default_rng(1)
    scene = rng.integers(0, 256, (540, 720, 3), dtype=np.uint8)
    for _ in range(2):  # soften the noise into texture
        scene = ((scene.astype(np.uint16) + np.roll(scene, 1, 0) + np.roll(scene, 1, 1)) // 3).astype(
            np.uint8
        )
    for i in range(count):
        t = i / fps
        x = int(40 + 40 * np.cos(2 * np.pi * t / 4))
        y = int(30 + 30 * np.sin(2 * np.pi * t / 4))
        picture = scene[y : y + 480, x : x + 640].copy()
        bx = int((t * 160) % 560)
        picture[200:280, bx : bx + 80] = (240, 200, 40)
        yield VideoFrame.from_ndarray(picture, format="rgb24")


def pre_encode_vp8(seconds: float = 4.0, fps: int = 30, bitrate: int = 1_400_000) -> list[bytes]:
    """A loop of 640x480 VP8 frames, encoded once before the run (a keyframe every second), so the
    publisher costs almost no CPU and the SFU under test gets the machine's cores."""
    import av

    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    codec.bit_rate = bitrate
    codec.framerate = fps
    codec.gop_size = fps
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    frames: list[bytes] = []
    for frame in camera_like_frames(int(seconds * fps), fps):
        for packet in codec.encode(frame.reformat(format="yuv420p")):
            frames.append(bytes(packet))
    for packet in codec.encode(None):
        frames.append(bytes(packet))
    return frames


def save_frames(frames: list[bytes], path: str) -> None:
    with open(path, "wb") as f:
        for frame in frames:
            f.write(len(frame).to_bytes(4, "big") + frame)


def load_frames(path: str) -> list[bytes]:
    data, frames, i = Path(path).read_bytes(), [], 0
    while i < len(data):
        size = int.from_bytes(data[i : i + 4], "big")
        frames.append(data[i + 4 : i + 4 + size])
        i += 4 + size
    return frames


def stream_bitrate(frames: list[bytes], fps: int = 30) -> int:
    return int(sum(map(len, frames)) * 8 * fps / len(frames))


def pre_encoded_track(frames: list[bytes], fps: int = 30) -> Any:
    """A video track that yields encoded VP8 ``av.Packet``s: aiortc's sender packs them as they are."""
    import fractions

    import av
    from aiortc.mediastreams import MediaStreamTrack

    class PreEncodedVideoTrack(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            self.start = time.time()

        async def recv(self) -> Any:
            self.count += 1
            wait = self.start + self.count / fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            packet = av.Packet(frames[(self.count - 1) % len(frames)])
            packet.pts = int(self.count * 90000 / fps)
            packet.time_base = fractions.Fraction(1, 90000)
            return packet

    return PreEncodedVideoTrack()


async def publisher_main(socket_path: str, video_file: str) -> None:
    """The publisher: sends the pre-encoded loop in ``video_file`` as it is."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from sfu import aiortc_hooks

    aiortc_hooks.set_host_addresses(["127.0.0.1"])
    frames = load_frames(video_file)
    reader, writer = await connect(socket_path)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="sendonly")
    pc.addTransceiver(pre_encoded_track(frames), direction="sendonly")
    pc.addTransceiver("video", direction="sendonly")
    await write_json(writer, join(PUBLISHER))
    await pc.setLocalDescription(await pc.createOffer())
    await write_json(
        writer, {"type": "sfu.publish_offer", "participant": PUBLISHER, "sdp": pc.localDescription.sdp}
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    while True:
        line = await asyncio.wait_for(reader.readline(), 30)
        message = json.loads(line)
        if message["type"] == "sfu.publish_answer":
            await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
            break
    await stop.wait()
    await pc.close()


async def subscribers_main(socket_path: str, first: int, count: int) -> None:
    """Receive-only subscribers that count RTP packets (and frames by marker bit), no decoding."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from sfu import aiortc_hooks

    aiortc_hooks.set_host_addresses(["127.0.0.1"])
    packets = [0]
    frames = [0]
    timeline: list[tuple[float, int, int]] = []

    async def count_packet(packet: Any, arrival_time_ms: int) -> None:
        packets[0] += 1
        frames[0] += packet.marker

    pcs: dict[int, Any] = {}
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
            for transceiver in pc.getTransceivers():
                transceiver.receiver._handle_rtp_packet = count_packet
            await pc.setLocalDescription(await pc.createAnswer())
            await write_json(
                writer, {"type": "sfu.subscribe_answer", "participant": pid, "sdp": pc.localDescription.sdp}
            )

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    pump_task = asyncio.create_task(pump())
    while not stop.is_set():
        timeline.append((time.time(), packets[0], frames[0]))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass
    timeline.append((time.time(), packets[0], frames[0]))
    pump_task.cancel()
    try:
        await pump_task
    except asyncio.CancelledError:
        pass
    print(json.dumps({"timeline": timeline}), flush=True)
    for pc in pcs.values():
        await pc.close()


# ---------------------------------------------------------------------------- measurement


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime (all threads)


def machine_busy() -> tuple[float, float]:
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) / CLK_TCK, idle / CLK_TCK


def spawn(script: Path, role: str, *args: str, ready: str | None = None) -> Any:
    """``script`` in another role (``--role role``), as a WorkerProcess (started)."""
    from conference.testing.processes import WorkerProcess

    argv = [sys.executable, str(script), "--role", role, *args]
    return WorkerProcess(role, argv, ready=ready, ready_timeout=60).start()


def stop(proc: Any, timeout: float = 15) -> str:
    """SIGTERM (SIGKILL after ``timeout`` s); its output."""
    proc.stop(timeout)
    return proc.output()


def slope(points: list[tuple[int, float]]) -> float:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
