"""SFU fan-out cost: RTP-level forwarding (sfu.worker) vs aiortc's decode + re-encode relay.

    .venv/bin/python bench/sfu_fanout.py [--quick] [--forward-only]
    .venv/bin/python bench/sfu_fanout.py --profile N [--seconds S]   # perf on the SFU at N subscribers
    .venv/bin/python bench/sfu_fanout.py --ab N [--seconds S]   # C fast path vs Python, one SFU

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

from bench._sfu import (  # noqa: E402
    PUBLISHER,
    cpu_seconds,
    load_frames,
    machine_busy,
    pre_encode_vp8,
    publisher_main,
    save_frames,
    slope,
    spawn,
    stop,
    stream_bitrate,
    subscribers_main,
    write_json,
)

SCRIPT = Path(__file__).resolve()
SFU_OUTPUT: list[str] = []  # the last run_case's SFU output (--ab reads its totals there)
FORWARD_NS = [1, 4, 8, 16]
RELAY_NS = [1, 4, 8]
# The publisher's pre-encoded VP8 loop, written once by the orchestrator (path passed by env).
VIDEO_FILE = os.environ.get("SFU_BENCH_VIDEO", "")

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

    async def call(self, message: dict[str, Any]) -> None:
        """The same entry point as SfuWorker.call (run the command, then return)."""
        await self.handle(message)

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


async def alternate_paths(worker: Any, seconds: float, streams_wanted: int) -> dict[str, list[float]]:
    """``--ab``: every forwarding stream switches between the C fast path and the Python path
    every ``seconds``; the process CPU and the packets forwarded are added up per path, over
    windows in which all ``streams_wanted`` streams forwarded (both see the same machine load)."""
    totals: dict[str, list[float]] = {
        "fast": [0.0, 0.0, 0.0],
        "python": [0.0, 0.0, 0.0],
    }  # cpu s, packets, windows
    fast, ready = True, False
    while True:
        videos = [p.sources.get("video") for p in list(worker.participants.values())]
        streams = [s for track in videos if track is not None for s in track.subscribers]
        for stream in streams:
            stream._fast = fast
        cpu0, sent0 = time.process_time(), sum(s.packets_sent for s in streams)
        await asyncio.sleep(seconds)
        cpu, sent = time.process_time() - cpu0, sum(s.packets_sent for s in streams) - sent0
        if len(streams) == streams_wanted and ready:
            row = totals["fast" if fast else "python"]
            row[0], row[1], row[2] = row[0] + cpu, row[1] + sent, row[2] + 1
            print("AB " + json.dumps(totals), flush=True)
            print("ABW " + json.dumps([int(fast), cpu, sent]), flush=True)
        ready = len(streams) == streams_wanted  # the window after all joined is the first counted
        fast = not fast


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
            await worker.call(message)

    server = await asyncio.start_unix_server(client, socket_path)
    ab = os.environ.get("SFU_BENCH_AB", "")
    if ab and mode == "forward":  # "seconds,streams"
        seconds, wanted = ab.split(",")
        ab_task = asyncio.create_task(alternate_paths(worker, float(seconds), int(wanted)))  # noqa: F841 (kept alive)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
        await asyncio.wait_for(worker.close("bench-over"), 10)


# ---------------------------------------------------------------------------- orchestration


def run_case(
    mode: str, n: int, warmup: float, measure: float, perf_data: str | None = None
) -> dict[str, float]:
    socket_path = tempfile.mktemp(prefix="sfu-bench-", suffix=".sock")
    sfu = spawn(SCRIPT, "sfu", "--mode", mode, "--socket", socket_path, ready=r"^ready$")
    try:
        sfu.wait_ready()
    except RuntimeError as exc:
        stop(sfu)
        raise SystemExit(f"SFU process failed to start: {exc}") from None
    publisher = spawn(SCRIPT, "pub", "--socket", socket_path)
    time.sleep(1.5)  # publisher connected before subscribers arrive (the relay needs its track)
    groups = min(n, 4)
    subs = []
    first = 2
    for g in range(groups):
        count = n // groups + (1 if g < n % groups else 0)
        subs.append(
            spawn(SCRIPT, "subs", "--socket", socket_path, "--first", str(first), "--count", str(count))
        )
        first += count
    try:
        time.sleep(warmup)
        total0, idle0 = machine_busy()
        perf = None
        if perf_data is not None:  # sampled over the same window as the CPU counter
            perf = subprocess.Popen(
                ["perf", "record", "-q", "-g", "-F", "1000", "-p", str(sfu.pid), "-o", perf_data],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        cpu0, t0 = cpu_seconds(sfu.pid), time.time()
        time.sleep(measure)
        cpu1, t1 = cpu_seconds(sfu.pid), time.time()
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        total1, idle1 = machine_busy()
    finally:
        outputs = [stop(p) for p in subs]
        stop(publisher)
        SFU_OUTPUT[:] = [stop(sfu)]
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
        "pps": packets / max(1, n),
        "fps": frames / max(1, n),
        "machine_busy": 100 * ((total1 - total0) - (idle1 - idle0)) / (total1 - total0) * os.cpu_count(),  # type: ignore[operator]
    }


def orchestrate(quick: bool, forward_only: bool = False) -> None:
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
    modes = [("forward", FORWARD_NS)] + ([] if forward_only else [("relay", RELAY_NS)])
    for mode, ns in modes:
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
    points = [(n, results[("forward", n)]["cpu"]) for n in FORWARD_NS]
    fwd = slope(points)
    fixed = sum(y for _, y in points) / len(points) - fwd * sum(n for n, _ in points) / len(points)
    print(
        f"forward: marginal CPU per subscriber stream (least squares, N=1..16): {fwd:.2f} % of a core"
        " (target <= 0.20)"
    )
    print(f"forward: fixed cost (the line's value at N=0): {fixed:.2f} % of a core (target <= 1.2)")
    if not forward_only:
        rel = slope([(n, results[("relay", n)]["cpu"]) for n in RELAY_NS])
        rel30 = slope([(n, results[("relay", n)]["cpu30"]) for n in RELAY_NS])
        print(
            f"relay:   marginal CPU per subscriber stream (least squares, N=1..8): {rel:.2f} % measured,"
            f" {rel30:.2f} % at 30 fps"
        )
        f8, r8, r8_30 = (
            results[("forward", 8)]["cpu"],
            results[("relay", 8)]["cpu"],
            results[("relay", 8)]["cpu30"],
        )
        print(
            f"relay/forward CPU ratio at N=8: {r8 / f8:.1f} measured (relay {r8:.1f} %, forward {f8:.1f} %)"
        )
        print(
            f"relay/forward CPU ratio at N=8 at 30 fps: {r8_30 / f8:.1f} (relay {r8_30:.1f} %; target >= 20)"
        )
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average after: {' '.join(load)}; total bench time {time.time() - started:.0f} s")


def profile(n: int, seconds: float) -> None:
    """One case at N subscribers (0: the publisher alone) with perf sampling the SFU process."""
    from bench.perf_split import split, table

    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    video = tempfile.mktemp(prefix="sfu-bench-", suffix=".vp8")
    save_frames(pre_encode_vp8(), video)
    os.environ["SFU_BENCH_VIDEO"] = video
    perf_data = tempfile.mktemp(prefix="sfu-perf-", suffix=".data")
    r = run_case("forward", n, 5.0, seconds, perf_data)
    print(
        f"N={n}: SFU CPU {r['cpu']:.2f} % of a core over {seconds:.0f} s, {r['pps']:.1f} packets/s per subscriber"
    )
    print(
        f"machine busy {r['machine_busy']:.0f} %; load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )
    print(table(split(perf_data), seconds))
    print(f"perf data kept in {perf_data} (perf report -i {perf_data} --no-children --sort dso,sym)")


def ab(n: int, seconds: float) -> None:
    """Both forwarding paths in one SFU process at N subscribers, alternating every 2 s."""
    from sfu import fastpath

    if fastpath.lib is None:
        raise SystemExit("sfu/_fastpath is not built (make setup)")
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    video = tempfile.mktemp(prefix="sfu-bench-", suffix=".vp8")
    save_frames(pre_encode_vp8(), video)
    os.environ["SFU_BENCH_VIDEO"] = video
    os.environ["SFU_BENCH_AB"] = f"2,{n}"
    r = run_case("forward", n, 5.0, seconds)
    lines = [line for line in SFU_OUTPUT[0].splitlines() if line.startswith("AB ")]
    if not lines:
        raise SystemExit("no A/B windows were counted")
    totals = json.loads(lines[-1][3:])
    print(f"N={n}: SFU CPU {r['cpu']:.2f} % of a core, machine busy {r['machine_busy']:.0f} %")
    for name, (cpu, packets, windows) in totals.items():
        per = 1e6 * cpu / max(1.0, packets)
        print(
            f"{name:<7} {windows:>3.0f} windows of 2 s: {100 * cpu / (2 * windows):.2f} % of a core,"
            f" {packets / (2 * windows):.0f} packets/s forwarded, {per:.1f} us of CPU per forwarded packet"
        )
    # Per window: cpu = fixed + per_packet(path) * packets, the fixed part shared (the same
    # publisher, the same control plane): the per-packet cost of each path, apart from how
    # many packets a starved publisher happened to send in its windows.
    import numpy as np

    rows = [json.loads(line[4:]) for line in SFU_OUTPUT[0].splitlines() if line.startswith("ABW ")]
    a = np.array([[1.0, f * sent, (1 - f) * sent] for f, _, sent in rows])
    b = np.array([cpu for _, cpu, _ in rows])
    (fixed, per_fast, per_python), *_ = np.linalg.lstsq(a, b, rcond=None)
    print(
        f"fitted over {len(rows)} windows: fixed {100 * fixed / 2:.2f} % of a core; per forwarded packet"
        f" {1e6 * per_fast:.1f} us (fast path) vs {1e6 * per_python:.1f} us (Python path)"
    )
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="main", choices=["main", "sfu", "pub", "subs"])
    parser.add_argument("--mode", default="forward", choices=["forward", "relay"])
    parser.add_argument("--socket", default="")
    parser.add_argument("--first", type=int, default=2)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="shorter windows (smoke run)")
    parser.add_argument("--forward-only", action="store_true", help="skip aiortc's relay (the slow part)")
    parser.add_argument("--profile", type=int, default=-1, help="perf on the SFU at N subscribers")
    parser.add_argument("--seconds", type=float, default=20.0, help="--profile's / --ab's window")
    parser.add_argument(
        "--ab", type=int, default=0, help="fast path vs Python path in one SFU at N subscribers"
    )
    args = parser.parse_args()
    if args.role == "main" and args.ab:
        ab(args.ab, args.seconds)
    elif args.role == "main" and args.profile >= 0:
        profile(args.profile, args.seconds)
    elif args.role == "main":
        orchestrate(args.quick, args.forward_only)
    elif args.role == "sfu":
        asyncio.run(sfu_main(args.socket, args.mode))
    elif args.role == "pub":
        asyncio.run(publisher_main(args.socket, VIDEO_FILE))
    else:
        asyncio.run(subscribers_main(args.socket, args.first, args.count))


if __name__ == "__main__":
    main()
