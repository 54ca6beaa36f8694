"""SFU fan-out cost: RTP-level forwarding (sfu.worker) vs aiortc's decode + re-encode relay.

    .venv/bin/python bench/sfu_fanout.py [--quick]

One 640x480 30 fps VP8 publisher (own process), N receive-only subscribers spread over several
processes (they count RTP packets and frames, no decoding), the SFU in its own process. The SFU's
CPU (% of one core) comes from /proc/<pid>/stat over a window after warm-up. All on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

CLK_TCK = os.sysconf("SC_CLK_TCK")
FORWARD_NS = [1, 4, 8, 16]
RELAY_NS = [1, 4, 8]
MEETING = 1
PUBLISHER = 1
# The publisher's pre-encoded VP8 loop, written once by the orchestrator (path passed by env).
VIDEO_FILE = os.environ.get("SFU_BENCH_VIDEO", "")

# ---------------------------------------------------------------------------- signaling
# Newline-delimited JSON over a Unix socket: clients send sfu.* commands, the SFU process
# answers on the connection that joined the participant.


async def write_json(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    writer.write(json.dumps(message).encode() + b"\n")
    await writer.drain()


# ---------------------------------------------------------------------------- SFU roles


class RelayWorker:
    """aiortc's own way: the publisher's track is decoded, MediaRelay fans frames out, each
    subscriber PC re-encodes them. Same sfu.* messages as SfuWorker (the parts the bench uses)."""

    def __init__(self, send: Any) -> None:
        from aiortc.contrib.media import MediaRelay

        self.send = send
        self.relay = MediaRelay()
        self.channels: dict[int, str] = {}
        self.pcs: list[Any] = []
        self.track: Any = None
        self.waiting: list[int] = []
        self.subscribe_pcs: dict[int, Any] = {}

    def _pc(self) -> Any:
        from aiortc import RTCConfiguration, RTCPeerConnection

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)
        return pc

    async def handle(self, message: dict[str, Any]) -> None:
        from aiortc import RTCSessionDescription

        pid = message["participant"]
        kind = message["type"]
        if kind == "sfu.join":
            self.channels[pid] = message["reply_channel"]
            if pid != PUBLISHER:
                self.waiting.append(pid)
                await self._offer_waiting()
        elif kind == "sfu.publish_offer":
            pc = self._pc()
            tracks: list[Any] = []
            pc.on("track", lambda t: t.kind == "video" and tracks.append(t))
            await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send(
                self.channels[pid],
                {"type": "sfu.publish_answer", "participant": pid, "sdp": pc.localDescription.sdp},
            )
            self.track = tracks[0]
            await self._offer_waiting()
        elif kind == "sfu.subscribe_answer":
            pc = self.subscribe_pcs[pid]
            await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))

    async def _offer_waiting(self) -> None:
        if self.track is None:
            return
        while self.waiting:
            pid = self.waiting.pop(0)
            pc = self._pc()
            self.subscribe_pcs[pid] = pc
            pc.addTrack(self.relay.subscribe(self.track, buffered=False))
            await pc.setLocalDescription(await pc.createOffer())
            mid = pc.getTransceivers()[0].mid
            await self.send(
                self.channels[pid],
                {
                    "type": "sfu.subscribe_offer",
                    "participant": pid,
                    "sdp": pc.localDescription.sdp,
                    "tracks": {mid: {"participant": PUBLISHER, "kind": "video"}},
                },
            )

    async def close(self, reason: str) -> None:
        for pc in self.pcs:
            await pc.close()


async def sfu_main(socket_path: str, mode: str) -> None:
    writers: dict[str, asyncio.StreamWriter] = {}

    async def send(channel: str, message: dict[str, Any]) -> None:
        writer = writers.get(channel)
        if writer is not None:
            await write_json(writer, message)

    if mode == "forward":
        from sfu.worker import SfuWorker

        worker: Any = SfuWorker(send, host_addresses=["127.0.0.1"])
    else:
        from sfu import aiortc_hooks

        aiortc_hooks.set_host_addresses(["127.0.0.1"])
        # Re-encode at the publisher's bitrate, so both modes deliver the same stream size
        # (aiortc's encoders would start at 500 kbit/s and ramp up with REMB).
        from aiortc.codecs import vpx

        vpx.DEFAULT_BITRATE = vpx.MIN_BITRATE = min(stream_bitrate(load_frames(VIDEO_FILE)), vpx.MAX_BITRATE)
        worker = RelayWorker(send)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = f"conn{id(writer)}"
        writers[name] = writer
        while line := await reader.readline():
            message = json.loads(line)
            if message["type"] == "sfu.join":
                message["reply_channel"] = name
            await worker.handle(message)

    server = await asyncio.start_unix_server(client, socket_path)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
        await asyncio.wait_for(worker.close("bench-over"), 10)


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


async def publisher_main(socket_path: str) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from sfu import aiortc_hooks

    aiortc_hooks.set_host_addresses(["127.0.0.1"])
    frames = load_frames(VIDEO_FILE)
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


# ---------------------------------------------------------------------------- orchestration


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime (all threads)


def machine_busy() -> tuple[float, float]:
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) / CLK_TCK, idle / CLK_TCK


def spawn(role: str, *args: str, ready: str | None = None) -> Any:
    """This script in another role, as a WorkerProcess (started)."""
    from conference.testing.processes import WorkerProcess

    argv = [sys.executable, str(Path(__file__).resolve()), "--role", role, *args]
    return WorkerProcess(role, argv, ready=ready, ready_timeout=60).start()


def stop(proc: Any, timeout: float = 15) -> str:
    """SIGTERM (SIGKILL after ``timeout`` s); its output."""
    proc.stop(timeout)
    return proc.output()


def run_case(mode: str, n: int, warmup: float, measure: float) -> dict[str, float]:
    socket_path = tempfile.mktemp(prefix="sfu-bench-", suffix=".sock")
    sfu = spawn("sfu", "--mode", mode, "--socket", socket_path, ready=r"^ready$")
    try:
        sfu.wait_ready()
    except RuntimeError as exc:
        stop(sfu)
        raise SystemExit(f"SFU process failed to start: {exc}") from None
    publisher = spawn("pub", "--socket", socket_path)
    time.sleep(1.5)  # publisher connected before subscribers arrive (the relay needs its track)
    groups = min(n, 4)
    subs = []
    first = 2
    for g in range(groups):
        count = n // groups + (1 if g < n % groups else 0)
        subs.append(spawn("subs", "--socket", socket_path, "--first", str(first), "--count", str(count)))
        first += count
    try:
        time.sleep(warmup)
        total0, idle0 = machine_busy()
        cpu0, t0 = cpu_seconds(sfu.pid), time.time()
        time.sleep(measure)
        cpu1, t1 = cpu_seconds(sfu.pid), time.time()
        total1, idle1 = machine_busy()
    finally:
        outputs = [stop(p) for p in subs]
        stop(publisher)
        stop(sfu)
        Path(socket_path).unlink(missing_ok=True)
    packets = frames = 0.0
    for out in outputs:
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        if not lines:
            continue
        timeline = lines[-1]["timeline"]
        inside = [row for row in timeline if t0 <= row[0] <= t1]
        if len(inside) >= 2:
            span = inside[-1][0] - inside[0][0]
            packets += (inside[-1][1] - inside[0][1]) / span
            frames += (inside[-1][2] - inside[0][2]) / span
    wall = t1 - t0
    return {
        "cpu": 100 * (cpu1 - cpu0) / wall,
        "pps": packets / n,
        "fps": frames / n,
        "machine_busy": 100 * ((total1 - total0) - (idle1 - idle0)) / (total1 - total0) * os.cpu_count(),  # type: ignore[operator]
    }


def slope(points: list[tuple[int, float]]) -> float:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)


def orchestrate(quick: bool) -> None:
    warmup, measure = (4.0, 6.0) if quick else (5.0, 12.0)
    started = time.time()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"SFU fan-out bench: one 640x480 30 fps VP8 publisher, loopback, {os.cpu_count()} cores")
    print(f"load average before: {' '.join(load)} (machine shared with other work: figures are noisy)")
    print(f"CPU of the SFU process in % of one core, over {measure:.0f} s after {warmup:.0f} s warm-up")
    print("'at 30 fps' scales the CPU by 30/fps when a starved relay delivers fewer frames")
    frames = pre_encode_vp8()
    video = tempfile.mktemp(prefix="sfu-bench-", suffix=".vp8")
    save_frames(frames, video)
    os.environ["SFU_BENCH_VIDEO"] = video  # the publisher process sends this loop, encoded once
    kbps = stream_bitrate(frames) / 1000
    print(
        f"publisher: a camera-like scene, pre-encoded VP8 loop of {len(frames)} frames, {kbps:.0f} kbit/s, sent as it is"
    )
    print("relay: decodes it once and re-encodes it for each subscriber at that bitrate")
    print()
    print(
        f"{'mode':<8} {'N':>3} {'SFU CPU %':>10} {'at 30 fps':>10} {'pkts/s/sub':>11} {'fps/sub':>8}"
        f" {'machine busy %':>15}"
    )
    results: dict[tuple[str, int], dict[str, float]] = {}
    for mode, ns in (("forward", FORWARD_NS), ("relay", RELAY_NS)):
        for n in ns:
            r = run_case(mode, n, warmup, measure)
            r["cpu30"] = r["cpu"] * 30 / max(1.0, min(30.0, r["fps"]))
            results[(mode, n)] = r
            print(
                f"{mode:<8} {n:>3} {r['cpu']:>10.1f} {r['cpu30']:>10.1f} {r['pps']:>11.1f} {r['fps']:>8.1f}"
                f" {r['machine_busy']:>15.0f}",
                flush=True,
            )
    print()
    fwd = slope([(n, results[("forward", n)]["cpu"]) for n in FORWARD_NS])
    rel = slope([(n, results[("relay", n)]["cpu"]) for n in RELAY_NS])
    rel30 = slope([(n, results[("relay", n)]["cpu30"]) for n in RELAY_NS])
    print(
        f"forward: marginal CPU per subscriber stream (least squares, N=1..16): {fwd:.2f} % of a core (target <= 0.3)"
    )
    print(
        f"relay:   marginal CPU per subscriber stream (least squares, N=1..8): {rel:.2f} % measured, {rel30:.2f} % at 30 fps"
    )
    f8, r8, r8_30 = (
        results[("forward", 8)]["cpu"],
        results[("relay", 8)]["cpu"],
        results[("relay", 8)]["cpu30"],
    )
    print(f"relay/forward CPU ratio at N=8: {r8 / f8:.1f} measured (relay {r8:.1f} %, forward {f8:.1f} %)")
    print(f"relay/forward CPU ratio at N=8 at 30 fps: {r8_30 / f8:.1f} (relay {r8_30:.1f} %; target >= 20)")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average after: {' '.join(load)}; total bench time {time.time() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="main", choices=["main", "sfu", "pub", "subs"])
    parser.add_argument("--mode", default="forward", choices=["forward", "relay"])
    parser.add_argument("--socket", default="")
    parser.add_argument("--first", type=int, default=2)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="shorter windows (smoke run)")
    args = parser.parse_args()
    if args.role == "main":
        orchestrate(args.quick)
    elif args.role == "sfu":
        asyncio.run(sfu_main(args.socket, args.mode))
    elif args.role == "pub":
        asyncio.run(publisher_main(args.socket))
    else:
        asyncio.run(subscribers_main(args.socket, args.first, args.count))


if __name__ == "__main__":
    main()
