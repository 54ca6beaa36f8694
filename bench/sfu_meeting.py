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
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

from bench._meeting import publishers_main, sfu_main, subscribers_main  # noqa: E402
from bench._sfu import (  # noqa: E402
    cpu_seconds,
    pre_encode_vp8,
    save_frames,
    slope,
    spawn,
    stop,
    stream_bitrate,
)

SCRIPT = Path(__file__).resolve()
FIRST_SUBSCRIBER = 100
LOSS_LIMIT = 1.0  # % of a step's packets
SUBSCRIBER_NICENESS = 10


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
