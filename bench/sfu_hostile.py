"""One SFU worker, two meetings: how much does a hostile participant in one cost the other?

    .venv/bin/python bench/sfu_hostile.py [--quick] [--churn-rounds N] [--no-failover]

Three processes on 127.0.0.1, as in production: the SFU is a real ``runsfu`` (Redis channel
layer), the quiet meeting (a publisher and a subscriber) and its probe run here, and the hostile
meeting's publisher and subscriber run in an attacker process (``--role attacker``), so the
attack's own CPU is not counted against the worker. For each kind of hostile traffic it prints
the quiet meeting's command latency (an ``sfu.stats`` round trip through that meeting's queue,
p50/p95) with the attack against the same figure without it (alternating 1 s windows), and their ratio
(expected <= 2). Also: the retransmission amplification of a crafted NACK (expected <= 1.5x), the
worker's tasks, fds, transceivers and memory over a long churn (from ``sfu.stats``), and the
recovery time after SIGKILL (bench/sfu_failover.py, expected <= 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
os.environ.setdefault("REDIS_PREFIX", f"bench-hostile-{os.getpid()}")

import django  # noqa: E402

django.setup()

from bench._sfu import cpu_seconds  # noqa: E402
from conference.testing import churn  # noqa: E402
from conference.testing.hostile import (  # noqa: E402
    HOSTILE_MEETING,
    QUIET_MEETING,
    Probe,
    attack,
    nack,
    payload_types,
    pli,
    publisher_ssrcs,
    rtp,
    send_raw,
)
from conference.testing.peers import BrowserPeer, wait_for  # noqa: E402
from conference.testing.processes import WorkerProcess  # noqa: E402
from conference.testing.remote import RemoteSfu, sfu_process  # noqa: E402

SCRIPT = Path(__file__).resolve()
QUIET_PUBLISHER, QUIET_SUBSCRIBER = 101, 102
BAD, WATCHER = 1, 2
ATTACK_KINDS = (
    "rtp-sequence-jumps",
    "rtp-random-ssrcs",
    "rtp-malformed",
    "rtp-flood-1kB",
    "rtcp-nack-duplicates",
    "rtcp-nack-flood",
    "rtcp-pli-flood",
    "ice-mdns",
    "ice-candidate-flood",
    "sdp-renegotiation-storm",
    "sdp-oversized",
)

# ---------------------------------------------------------------------------- attacker role


def ice(host: str, port: int) -> dict[str, Any]:
    return {
        "type": "sfu.ice",
        "participant": BAD,
        "pc": "publish",
        "candidate": {"candidate": f"candidate:1 1 udp 2130706431 {host} {port} typ host", "sdpMid": "0"},
    }


def attacks(remote: RemoteSfu, bad: BrowserPeer, watcher: BrowserPeer) -> dict[str, tuple[Any, dict]]:
    ssrcs, pts = publisher_ssrcs(bad), payload_types(bad)
    rng = random.Random(8)
    offer = bad.publish_pc.localDescription.sdp

    def video() -> tuple[int, int]:  # the watcher's video stream from the SFU: (SSRC, next seq)
        ssrc, seq = watcher.last_rtp[(BAD, "video")]
        return ssrc, (seq + 1) & 0xFFFF

    async def command(message: dict[str, Any]) -> None:
        try:
            await remote.send(message)
        except Exception:  # the channel's capacity: a flood beyond it is refused at the door
            pass

    async def seq_jumps(i: int) -> None:
        await send_raw(bad.publish_pc, rtp(ssrc=ssrcs["video"], seq=(i * 32_000) & 0xFFFF, pt=pts["video"]))

    async def random_ssrcs(i: int) -> None:
        await send_raw(bad.publish_pc, rtp(ssrc=rng.getrandbits(32), seq=i, pt=pts["audio"]))

    async def malformed(i: int) -> None:
        data = [
            rtp(ssrc=ssrcs["audio"], seq=i, pt=(pts["video"] + 17) % 128),
            struct.pack("!BBHII", 0x90, pts["video"], i & 0xFFFF, 0, ssrcs["video"]),
            rtp(ssrc=rng.getrandbits(32), seq=i, pt=pts["video"], payload=b"", padding=200),
        ][i % 3]
        await send_raw(bad.publish_pc, data)

    async def rtp_flood(i: int) -> None:
        await send_raw(
            bad.publish_pc, rtp(ssrc=rng.getrandbits(32), seq=i, pt=pts["audio"], payload=bytes(1000))
        )

    async def nack_duplicates(i: int) -> None:
        ssrc, next_seq = video()
        await send_raw(watcher.subscribe_pc, nack(1, ssrc, [((next_seq - 40) & 0xFFFF, 0xFFFF)] * 330))

    async def nack_flood(i: int) -> None:
        ssrc, next_seq = video()
        pid = (next_seq - 1 - 17 * (i % 50)) & 0xFFFF
        await send_raw(watcher.subscribe_pc, nack(1, ssrc, [(pid, 0xFFFF)] * 4))

    async def pli_flood(i: int) -> None:
        await send_raw(watcher.subscribe_pc, pli(1, video()[0]))

    async def mdns(i: int) -> None:
        await command(ice(f"{i:08x}-aaaa-bbbb-cccc-dddddddddddd.local", 50000))

    async def candidates(i: int) -> None:
        await command(ice("127.0.0.1", 10000 + i % 50000))

    async def renegotiation(i: int) -> None:
        await command({"type": "sfu.publish_offer", "participant": BAD, "sdp": offer})

    async def oversized_sdp(i: int) -> None:
        await command(
            {"type": "sfu.publish_offer", "participant": BAD, "sdp": "v=0\r\n" + "a=x:" + "y" * 70_000}
        )

    return {
        "rtp-sequence-jumps": (seq_jumps, {}),
        "rtp-random-ssrcs": (random_ssrcs, {}),
        "rtp-malformed": (malformed, {}),
        "rtp-flood-1kB": (rtp_flood, {"per_tick": 30}),
        "rtcp-nack-duplicates": (nack_duplicates, {"per_tick": 2}),
        "rtcp-nack-flood": (nack_flood, {"per_tick": 5}),
        "rtcp-pli-flood": (pli_flood, {}),
        "ice-mdns": (mdns, {"per_tick": 2}),
        "ice-candidate-flood": (candidates, {"per_tick": 2}),
        "sdp-renegotiation-storm": (renegotiation, {"per_tick": 1, "tick": 0.02}),
        "sdp-oversized": (oversized_sdp, {"per_tick": 1}),
    }


async def amplification(remote: RemoteSfu, watcher: BrowserPeer) -> str:
    await wait_for(lambda: watcher.frames[(BAD, "video")] >= 30, 20, "video history at the watcher")
    ssrc, seq = watcher.last_rtp[(BAD, "video")]
    data = nack(1, ssrc, [((seq - 40) & 0xFFFF, 0xFFFF)] * 330)  # 17 distinct packets named 5,610 times
    before = (await remote.stats(WATCHER))["participant"]["rtx_sent"]
    await send_raw(watcher.subscribe_pc, data)
    await asyncio.sleep(0.5)
    sent = (await remote.stats(WATCHER))["participant"]["rtx_sent"] - before
    return (
        f"crafted NACK ({len(data)} bytes, 17 distinct packets named 5,610 times): {sent} retransmissions, "
        f"amplification {sent / 17:.2f}x per named packet (expected <= 1.5x; aiortc alone: ~5,600 sends)"
    )


async def attacker_main(worker_id: str) -> None:
    """Joins the hostile meeting, then runs each attack the orchestrator names on stdin."""
    remote = RemoteSfu(worker_id)
    await remote.start()
    loop = asyncio.get_running_loop()
    runs: dict[str, int] = {}
    try:
        bad = await remote.join(BAD, HOSTILE_MEETING)
        watcher = await remote.join(WATCHER, HOSTILE_MEETING, publish=False)
        await wait_for(lambda: watcher.frames[(BAD, "video")] >= 3, 30, "video in the hostile meeting")
        print(await amplification(remote, watcher), flush=True)  # first: the jumps garble this video
        table = attacks(remote, bad, watcher)
        print("attacker ready", flush=True)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            words = line.split()
            if words[0] == "quit":
                break
            kind, seconds = words[1], float(words[2])
            send_one, kw = table[kind]
            sent = await attack(seconds, send_one, **kw)
            print(f"done {kind} #{runs.get(kind, 0)} sent={sent}", flush=True)
            runs[kind] = runs.get(kind, 0) + 1
    finally:
        await remote.close()


# ---------------------------------------------------------------------------- orchestrator


async def probe(remote: RemoteSfu, seconds: float, interval: float = 0.02) -> Probe:
    """An sfu.stats round trip through the quiet meeting's queue every ``interval``."""
    result = Probe()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        await remote.stats(QUIET_SUBSCRIBER, timeout=5)
        result.latencies.append(time.monotonic() - start)
        await asyncio.sleep(interval)
    return result


async def hostile_figures(worker_id: str, worker_pid: int, seconds: float, kinds: tuple[str, ...]) -> None:
    remote = RemoteSfu(worker_id)
    await remote.start()
    attacker = WorkerProcess(
        "attacker",
        [sys.executable, str(SCRIPT), "--role", "attacker", "--worker", worker_id],
        ready=r"^attacker ready",
        ready_timeout=90,
        stdin=True,
    )
    try:
        await remote.join(QUIET_PUBLISHER, QUIET_MEETING)
        sub = await remote.join(QUIET_SUBSCRIBER, QUIET_MEETING, publish=False)
        await wait_for(lambda: sub.frames[(QUIET_PUBLISHER, "video")] >= 5, 30, "video in the quiet meeting")
        attacker.start()
        await asyncio.to_thread(attacker.wait_ready)
        print(next(line for line in attacker.lines if "crafted NACK" in line))
        print("\nquiet meeting command latency (sfu.stats round trip through its queue and Redis), seconds")
        print(f"{'kind':26} {'p50':>8} {'p95':>8} {'base p50':>9} {'base p95':>9} {'ratio':>6}")
        cpu_lines = []
        for kind in kinds:
            # Alternating 1 s windows without and with the attack: the machine's load drifts
            # (it is shared), and both figures should see the same drift.
            base, hit, frames, sent = Probe(), Probe(), 0, 0
            cpu_base = cpu_hit = 0.0
            datagrams = 0
            for _ in range(max(1, round(seconds))):
                cpu = cpu_seconds(worker_pid)
                base.latencies += (await probe(remote, 1.0)).latencies
                cpu_base += cpu_seconds(worker_pid) - cpu
                before = sub.frames[(QUIET_PUBLISHER, "video")]
                cpu = cpu_seconds(worker_pid)
                attacker.send_line(f"attack {kind} 1.0")
                hit.latencies += (await probe(remote, 1.0)).latencies
                frames += sub.frames[(QUIET_PUBLISHER, "video")] - before
                done = await asyncio.to_thread(attacker.wait_for_output, rf"^done {kind} #{sent}\b", 30)
                cpu_hit += cpu_seconds(worker_pid) - cpu
                datagrams += int(done.split("sent=")[1]) if "sent=" in done else 0
                sent += 1
            ratio = hit.p95 / max(base.p95, 1e-4)
            print(
                f"{kind:26} {hit.p50:8.4f} {hit.p95:8.4f} {base.p50:9.4f} {base.p95:9.4f} "
                f"ratio {ratio:5.2f} (p95, expected <= 2); quiet video {frames / sent:.0f} fps",
                flush=True,
            )
            extra = (cpu_hit - cpu_base) / max(datagrams, 1) * 1e6
            cpu_lines.append(
                f"{kind:26} {cpu_base / sent:5.0%} {cpu_hit / sent:5.0%}  {datagrams / sent:7.0f}/s "
                f"{extra:8.1f} us"
            )
        print("\nworker CPU in the same windows (of one core), what the attack sent, and its cost per item")
        print(f"{'kind':26} {'base':>5} {'hit':>5}  {'items':>9} {'CPU/item':>11}")
        print("\n".join(cpu_lines))
        attacker.send_line("quit")
        await asyncio.to_thread(attacker.wait, 30)
    finally:
        attacker.stop()
        await remote.close()


async def churn_figures(worker_id: str, rounds: int) -> None:
    print(
        f"\nchurn: 2 stay while {rounds} rounds of 3 join, publish and leave (figures of the worker process)"
    )
    remote = RemoteSfu(worker_id)
    await remote.start()
    started = time.monotonic()
    try:
        await churn.stayers(remote)
        before = await churn.snapshot(remote, 1)
        print(f"churn before:     {before.line()}", flush=True)
        warm_at = min(15, rounds)
        marks = sorted({1, warm_at, rounds // 2, rounds})
        warm = before
        for r in range(rounds):
            await churn.churn_round(remote, 1000 + 10 * r)
            if r + 1 in marks:
                snap = await churn.snapshot(remote, 1)
                if r + 1 == warm_at:
                    warm = snap
                print(f"churn round {r + 1:>4}: {snap.line()}", flush=True)
        after = snap
        print(
            f"churn delta after-before: tasks {after.tasks - before.tasks:+d}, fds {after.fds - before.fds:+d}, "
            f"sender RTCP tasks {after.rtcp_tasks - before.rtcp_tasks:+d}; "
            f"RSS {after.rss_mb - before.rss_mb:+.1f} MB, after round {warm_at} {after.rss_mb - warm.rss_mb:+.1f} MB "
            f"(the first rounds grow the heap to its working size); {time.monotonic() - started:.0f} s"
        )
    finally:
        await remote.close()


def failover() -> None:
    print("\nrecovery after SIGKILL of the worker carrying a meeting (bench/sfu_failover.py --rounds 2):")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_PREFIX"}
    try:
        out = subprocess.run(
            [sys.executable, str(SCRIPT.parent / "sfu_failover.py"), "--rounds", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = [line for line in out.stdout.splitlines() if "round" in line or "recovery" in line]
        print("\n".join(lines) if lines else f"failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    except subprocess.TimeoutExpired:
        print("failover bench timed out after 300 s")


async def main(quick: bool, rounds: int, with_failover: bool, kinds: tuple[str, ...]) -> None:
    seconds = 1.5 if quick else 4.0
    started = time.monotonic()
    with sfu_process("hostile") as (proc, worker_id):
        await hostile_figures(worker_id, proc.pid, seconds, kinds)
    with sfu_process("churn") as (_, worker_id):
        await churn_figures(worker_id, rounds)
    if with_failover:
        await asyncio.to_thread(failover)
    print(f"total bench time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="main", choices=["main", "attacker"])
    parser.add_argument("--worker", default="")
    parser.add_argument("--quick", action="store_true", help="shorter windows (smoke run)")
    parser.add_argument("--churn-rounds", type=int, default=100)
    parser.add_argument("--no-failover", action="store_true")
    parser.add_argument("--kinds", default=",".join(ATTACK_KINDS), help="comma-separated attacks")
    args = parser.parse_args()
    if args.role == "attacker":
        asyncio.run(attacker_main(args.worker))
    else:
        rounds = 20 if args.quick and args.churn_rounds == 100 else args.churn_rounds
        kinds = tuple(k for k in args.kinds.split(",") if k in ATTACK_KINDS)
        asyncio.run(main(args.quick, rounds, not args.no_failover, kinds))
