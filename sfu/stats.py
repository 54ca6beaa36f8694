"""``sfu.stats``: a worker's figures, answered on the asker's channel (tests, benches, operators).

Process figures (asyncio tasks, open file descriptors, resident memory) come from the worker's own
process, so a test or bench that runs the worker as a separate ``runsfu`` process can read them
through the channel layer, like every other command.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from conference import protocol
from sfu.aiortc_hooks_guard import sender_rtcp_running

if TYPE_CHECKING:
    from sfu.peer import Participant
    from sfu.worker import SfuWorker


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def participant_figures(p: Participant) -> protocol.SfuStatsParticipant:
    transceivers = p.subscribe_pc.getTransceivers()
    return {
        "transceivers": len(transceivers),
        "rtcp_tasks": sum(1 for t in transceivers if sender_rtcp_running(t.sender)),
        "rtx_sent": sum(s.stream.rtx_sent for s in p.slots),
        "rtx_suppressed": sum(s.stream.rtx_suppressed for s in p.slots),
        "paused": sum(1 for s in p.slots if s.publisher is not None and s.stream.paused),
        "link_level": p.link.level,
        "layers_dropped": sum(s.stream.dropped_layers for s in p.slots),
    }


def report(worker: SfuWorker, message: dict[str, Any]) -> protocol.SfuStatsReport:
    pid = message.get("participant")
    p = worker.participants.get(pid) if isinstance(pid, int) else None
    return protocol.sfu_stats_report(
        token=message["token"],
        worker=worker.worker_id,
        pid=os.getpid(),
        tasks=len(asyncio.all_tasks()),
        fds=open_fds(),
        rss_mb=round(rss_mb(), 2),
        participants=len(worker.participants),
        meetings=len(worker.meetings),
        routes=len(worker.routes),
        closers=worker.closers,
        counters=dict(worker.stats),
        participant=participant_figures(p) if p is not None else None,
    )
