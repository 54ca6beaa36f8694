"""Churn: people join, publish and leave while others stay (the test and bench/sfu_hostile.py)."""

from __future__ import annotations

import asyncio
import gc
import os
from dataclasses import dataclass

from conference.testing.hostile import Harness
from conference.testing.peers import wait_for

MEETING = 5


@dataclass
class Snapshot:
    tasks: int  # every asyncio task of the process (SFU and in-process test peers)
    fds: int
    transceivers: int  # in the first stayer's subscribe PC on the SFU
    rtcp_tasks: int  # running sender RTCP tasks in that PC (parked slots have none)
    rss_mb: float

    def line(self) -> str:
        return (
            f"tasks {self.tasks}, fds {self.fds}, transceivers {self.transceivers}, "
            f"sender RTCP tasks {self.rtcp_tasks}, RSS {self.rss_mb:.1f} MB"
        )


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


async def snapshot(h: Harness, stayer: int) -> Snapshot:
    await asyncio.sleep(1.0)  # closers finish, RTCP tasks of parked slots end
    await h.worker.drain(5.0)
    gc.collect()
    pc = h.worker.participants[stayer].subscribe_pc
    rtcp = sum(
        1
        for t in pc.getTransceivers()
        if (task := t.sender._RTCRtpSender__rtcp_task) is not None and not task.done()
    )
    return Snapshot(
        tasks=len(asyncio.all_tasks()),
        fds=len(os.listdir("/proc/self/fd")),
        transceivers=len(pc.getTransceivers()),
        rtcp_tasks=rtcp,
        rss_mb=rss_mb(),
    )


async def stayers(h: Harness) -> None:
    a = await h.join(1, MEETING)
    b = await h.join(2, MEETING)
    await wait_for(
        lambda: a.frames[(2, "video")] > 0 and b.frames[(1, "video")] > 0, 20, "the stayers' video"
    )


async def churn_round(h: Harness, first: int, size: int = 3) -> None:
    """size people join and publish; once their video reaches the first stayer, they leave.

    (Counted where the SFU sends it: decoding in the test process lags on a busy machine.)
    """
    for i in range(size):
        await h.join(first + i, MEETING)
    newcomers = set(range(first, first + size))

    def reached() -> bool:
        slots = h.worker.subscriber_streams(1)
        sent = {s.publisher for s in slots if s.kind == "video" and s.stream.packets_sent > 10}
        return newcomers <= sent

    await wait_for(reached, 30, "the newcomers' video at the stayer")
    for i in range(size):
        await h.leave(first + i)
