"""Churn: people join, publish and leave while others stay (sfu/tests/test_churn.py and
bench/sfu_hostile.py). The SFU is a separate ``runsfu`` process (conference.testing.remote); its
figures come from ``sfu.stats``."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from conference.testing.peers import wait_for
from conference.testing.remote import RemoteSfu

MEETING = 5
SETTLE = 1.0  # seconds for parked slots' RTCP tasks and closed connections' timers to end


@dataclass
class Snapshot:
    tasks: int  # asyncio tasks of the worker process
    fds: int  # its open file descriptors
    transceivers: int  # in the first stayer's subscribe PC on the SFU
    rtcp_tasks: int  # running sender RTCP tasks in that PC (parked slots have none)
    rss_mb: float
    participants: int
    routes: int
    closers: int

    def line(self) -> str:
        return (
            f"tasks {self.tasks}, fds {self.fds}, transceivers {self.transceivers}, "
            f"sender RTCP tasks {self.rtcp_tasks}, RSS {self.rss_mb:.1f} MB"
        )


async def settled(remote: RemoteSfu, stayer: int, participants: int, timeout: float = 20.0) -> dict[str, Any]:
    """The worker's report once only ``participants`` remain and nothing is closing (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        report = await remote.stats(stayer)
        if report["participants"] == participants and report["closers"] == 0:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker did not settle within {timeout} s: {report}")
        await asyncio.sleep(0.2)


async def snapshot(remote: RemoteSfu, stayer: int, participants: int = 2) -> Snapshot:
    await settled(remote, stayer, participants)
    await asyncio.sleep(SETTLE)
    report = await settled(remote, stayer, participants)
    mine = report["participant"]
    return Snapshot(
        tasks=report["tasks"],
        fds=report["fds"],
        transceivers=mine["transceivers"],
        rtcp_tasks=mine["rtcp_tasks"],
        rss_mb=report["rss_mb"],
        participants=report["participants"],
        routes=report["routes"],
        closers=report["closers"],
    )


async def stayers(remote: RemoteSfu) -> None:
    a = await remote.join(1, MEETING)
    b = await remote.join(2, MEETING)
    await wait_for(
        lambda: a.frames[(2, "video")] > 0 and b.frames[(1, "video")] > 0, 30, "the stayers' video"
    )


async def churn_round(remote: RemoteSfu, first: int, size: int = 3, frames: int = 3) -> float:
    """size people join and publish; once their video reaches the first stayer (``frames`` frames
    each, counted without decoding), they leave. Returns the seconds it took."""
    started = time.monotonic()
    for i in range(size):
        await remote.join(first + i, MEETING)
    stayer = remote.peers[1]
    newcomers = range(first, first + size)
    await wait_for(
        lambda: all(stayer.frames[(n, "video")] >= frames for n in newcomers),
        30,
        f"the video of {list(newcomers)} at the stayer",
    )
    for n in newcomers:
        await remote.leave(n)
    return time.monotonic() - started
