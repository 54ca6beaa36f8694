"""SFU cost of a meeting: forwarding everything vs each subscriber showing K videos; capacity.

    .venv/bin/python bench/sfu_meeting.py [--quick] [--publishers 8] [--visible 4]

P publishers (one process), each sending a pre-encoded 640x480 30 fps VP8 loop and Opus audio;
S receive-only subscribers spread over processes, counting RTP packets, bytes and losses (from
sequence numbers) per stream, no decoding; the SFU (sfu.worker.SfuWorker, RTP-level forwarding)
in its own process, its CPU from /proc/<pid>/stat. All on 127.0.0.1. The subscribers' sockets get
8 MB buffers and their processes run at nice 10, so what they lose is the SFU's; the bench also
prints what the kernel dropped at the SFU's own sockets (it did not read them in time: starved).

1. The same meeting twice: every subscriber receives every video, then each shows only K of them
   (``sfu.set_visible``, as the page sends it): SFU CPU and downlink per subscriber, and the ratio.
2. Capacity: subscribers join in steps (every video forwarded) until the SFU uses one core or a
   step loses more than 1 % of its packets: the subscriber streams one core holds.
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

from bench._sfu import (  # noqa: E402
    connect,
    cpu_seconds,
    join,
    load_frames,
    pre_encode_vp8,
    pre_encoded_track,
    save_frames,
    slope,
    spawn,
    stop,
    stream_bitrate,
    write_json,
)

SCRIPT = Path(__file__).resolve()
FIRST_SUBSCRIBER = 100
LOSS_LIMIT = 1.0  # % of a step's packets
SUBSCRIBER_NICENESS = 10
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


# ---------------------------------------------------------------------------- orchestration


class Meeting:
    """An SFU process, the publishers' process and subscriber processes added in groups."""

    def __init__(self, publishers: int, video: str) -> None:
        self.publishers = publishers
        self.socket = tempfile.mktemp(prefix="sfu-meeting-", suffix=".sock")
        self.sfu = spawn(SCRIPT, "sfu", "--socket", self.socket, ready=r"^ready$")
        self.sfu.wait_ready()
        self.pub = spawn(
            SCRIPT,
            "pub",
            "--socket",
            self.socket,
            "--video",
            video,
            "--count",
            str(publishers),
            ready=r"^publishing$",
        )
        self.pub.wait_ready()
        self.subs: list[Any] = []
        self.next_id = FIRST_SUBSCRIBER

    def add(self, count: int, show: int = 0, per_process: int = 4) -> None:
        while count > 0:
            n = min(per_process, count)
            args = ["--socket", self.socket, "--first", str(self.next_id), "--count", str(n)]
            if show:
                args += ["--visible", str(show), "--publishers", str(self.publishers)]
            self.subs.append(spawn(SCRIPT, "subs", *args))
            self.next_id += n
            count -= n

    @property
    def subscribers(self) -> int:
        return self.next_id - FIRST_SUBSCRIBER

    def counts(self) -> list[tuple[float, list[int]]]:
        """Each subscriber process's latest line: (time, [received, expected, octets])."""
        latest = []
        for proc in self.subs:
            lines = [line for line in list(proc.lines) if line.startswith('{"t"')]
            if lines:
                row = json.loads(lines[-1])
                latest.append((row["t"], row["counts"]))
            else:
                latest.append((time.time(), [0, 0, 0]))
        return latest

    def measure(self, seconds: float) -> dict[str, float]:
        pid = self.sfu.pid
        before, cpu0, t0, drops0 = self.counts(), cpu_seconds(pid), time.time(), socket_drops(pid)
        time.sleep(seconds)
        after, cpu1, t1, drops1 = self.counts(), cpu_seconds(pid), time.time(), socket_drops(pid)
        received = expected = bits_per_s = 0.0
        for (ta, a), (tb, b) in zip(before, after, strict=True):
            received += b[0] - a[0]
            expected += b[1] - a[1]
            bits_per_s += 8 * (b[2] - a[2]) / max(0.1, tb - ta)
        if not expected and self.subs:
            print("no packet reached the subscribers; one's output:\n" + self.subs[0].tail(20))
        return {
            "cpu": 100 * (cpu1 - cpu0) / (t1 - t0),
            "loss": 100 * max(0.0, 1 - received / expected) if expected else 100.0,
            "kbps_per_sub": bits_per_s / 1000 / max(1, self.subscribers),
            "pps": received / (t1 - t0),
            "kernel_drops": drops1 - drops0,
        }

    def close(self) -> None:
        for proc in self.subs:
            stop(proc)
        stop(self.pub)
        stop(self.sfu, 25)
        Path(self.socket).unlink(missing_ok=True)


def socket_drops(pid: int) -> int:
    """Datagrams the kernel dropped at the process's UDP sockets (receive buffer full)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    drops = 0
    for line in Path(f"/proc/{pid}/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            drops += int(fields[-1])
    return drops


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def compare(
    publishers: int, subscribers: int, visible: int, video: str, warmup: float, window: float
) -> None:
    print(f"1. one meeting: {publishers} publishers (VGA VP8 + Opus), {subscribers} receive-only subscribers")
    print(
        f"{'forwarding':<22} {'streams':>8} {'SFU CPU %':>10} {'kbit/s per sub':>15} {'loss %':>7}"
        f" {'SFU drops in':>13}  load"
    )
    rows = {}
    for show in (0, visible):
        meeting = Meeting(publishers, video)
        try:
            meeting.add(subscribers, show=show)
            time.sleep(warmup)
            r = meeting.measure(window)
        finally:
            meeting.close()
        streams = subscribers * (publishers + (show or publishers))
        label = f"all {publishers} videos" if not show else f"{show} visible of {publishers}"
        rows[show] = r
        print(
            f"{label:<22} {streams:>8} {r['cpu']:>10.1f} {r['kbps_per_sub']:>15.0f} {r['loss']:>7.2f}"
            f" {r['kernel_drops']:>13}  {load()}",
            flush=True,
        )
    a, k = rows[0], rows[visible]
    print(
        f"ratio all/visible-{visible}: SFU CPU {a['cpu'] / max(0.1, k['cpu']):.2f}x, "
        f"downlink per subscriber {a['kbps_per_sub'] / max(0.1, k['kbps_per_sub']):.2f}x"
    )


def ramp(publishers: int, step: int, max_subscribers: int, video: str, settle: float, window: float) -> None:
    per_sub = 2 * publishers
    print()
    print(
        f"2. capacity: {publishers} publishers, subscribers added {step} at a time ({per_sub} streams each)"
    )
    print(
        f"{'subscribers':>11} {'streams':>8} {'SFU CPU %':>10} {'loss %':>7} {'pkts/s out':>11}"
        f" {'SFU drops in':>13}  load"
    )
    meeting = Meeting(publishers, video)
    held: tuple[int, float] | None = None
    points: list[tuple[int, float]] = []
    try:
        while meeting.subscribers < max_subscribers:
            meeting.add(step)
            time.sleep(settle)
            r = meeting.measure(window)
            streams = meeting.subscribers * per_sub
            points.append((streams, r["cpu"]))
            print(
                f"{meeting.subscribers:>11} {streams:>8} {r['cpu']:>10.1f} {r['loss']:>7.2f} {r['pps']:>11.0f}"
                f" {r['kernel_drops']:>13}  {load()}",
                flush=True,
            )
            if r["loss"] > LOSS_LIMIT:
                print(f"stopped: loss over {LOSS_LIMIT:.0f} %")
                break
            held = (streams, r["cpu"])
            if r["cpu"] >= 100:
                print("stopped: the SFU uses one core")
                break
        else:
            print(f"stopped: {max_subscribers} subscribers (the bench's own bound)")
    finally:
        meeting.close()
    if len(points) >= 2:  # CPU is a line in the streams: the publishers' fixed part + a slope
        per_stream = slope(points)
        fixed = sum(c for _, c in points) / len(points) - per_stream * sum(n for n, _ in points) / len(points)
        if per_stream > 0:
            print(
                f"SFU CPU by the fitted line: {fixed:.1f} % fixed ({publishers} publishers) + {per_stream:.3f} %"
                f" per subscriber stream: one core at ~{(100 - fixed) / per_stream:.0f} streams"
            )
    if held is None:
        print("subscriber streams one core holds at <= 1 % loss: none measured")
        return
    streams, cpu = held
    per_core = streams * 100 / max(cpu, 1.0)
    print(
        f"subscriber streams one core holds at <= 1 % loss: {streams} held at {cpu:.0f} % of a core "
        f"(~{per_core:.0f} per core by CPU)"
    )


def orchestrate(args: argparse.Namespace) -> None:
    started = time.time()
    quick = args.quick
    print(f"SFU meeting bench, loopback, {os.cpu_count()} cores; load average before: {load()}")
    print("CPU of the SFU process in % of one core (machine shared: figures are noisy)")
    print("SFU drops in: datagrams the kernel dropped at the SFU's sockets in the window (buffer full: the")
    print("  SFU did not read them in time); subscribers' sockets have 8 MB buffers: their loss is the SFU's")
    frames = pre_encode_vp8()
    video = tempfile.mktemp(prefix="sfu-meeting-", suffix=".vp8")
    save_frames(frames, video)
    print(f"each publisher: {stream_bitrate(frames) / 1000:.0f} kbit/s VP8 640x480 30 fps + Opus 20 ms")
    print()
    try:
        warmup, window = (4.0, 5.0) if quick else (6.0, 10.0)
        compare(args.publishers, 4 if quick else 8, args.visible, video, warmup, window)
        settle, window = (3.0, 4.0) if quick else (4.0, 6.0)
        ramp(args.publishers, args.step, 12 if quick else args.max_subscribers, video, settle, window)
    finally:
        Path(video).unlink(missing_ok=True)
    print(f"load average after: {load()}; total bench time {time.time() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="main", choices=["main", "sfu", "pub", "subs"])
    parser.add_argument("--socket", default="")
    parser.add_argument("--video", default="")
    parser.add_argument("--first", type=int, default=FIRST_SUBSCRIBER)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--publishers", type=int, default=8)
    parser.add_argument("--visible", type=int, default=4, help="videos each subscriber shows")
    parser.add_argument("--step", type=int, default=4, help="subscribers added per capacity step")
    parser.add_argument("--max-subscribers", type=int, default=48)
    parser.add_argument("--quick", action="store_true", help="short windows, fewer subscribers")
    args = parser.parse_args()
    if args.role == "main":
        orchestrate(args)
        return
    if args.role == "sfu":
        asyncio.run(sfu_main(args.socket))
        return
    if args.role == "pub":  # at normal priority: the load must be sent in full
        asyncio.run(publishers_main(args.socket, args.video, args.count))
    else:
        os.nice(SUBSCRIBER_NICENESS)  # they only count (8 MB buffers): never before the SFU
        show = args.visible if "--visible" in sys.argv else 0
        asyncio.run(subscribers_main(args.socket, args.first, args.count, show, args.publishers))


if __name__ == "__main__":
    main()
