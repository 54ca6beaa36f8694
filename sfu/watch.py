"""Notices, within a few seconds, that an SFU worker died (SIGKILL, OOM, machine loss).

A worker that stops cleanly says goodbye (``sfu.closed`` reason ``server-shutdown``); one that
dies just stops refreshing its heartbeat, whose key then expires after SFU_WORKER_TTL_SECONDS.
One ``WorkerWatch`` per event loop (so one per web process) checks the heartbeats of the workers
its consumers use, every SFU_HEARTBEAT_SECONDS, in one MGET on the placement module's pooled
client, and sends ``sfu.worker_lost`` to each consumer of a worker whose key is gone. The
consumer then moves its meeting to another worker, as it does for ``server-shutdown``.

Cost: one Redis round trip per web process per interval, whatever the number of consumers.
"""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings

from conference import protocol
from conference.workers import cancel_and_wait
from sfu.placement import heartbeat_key, redis_client

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0


class WorkerWatch:
    """The watch of one event loop: worker id -> the consumer channels using it.

    Owns one task, running while anything is watched: ``discard`` of the last channel stops it
    (cancel, then await).
    """

    def __init__(self) -> None:
        self.channels: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, worker: str, channel: str) -> None:
        """``channel``'s consumer now uses ``worker`` (and no other)."""
        self._forget(channel)
        self.channels.setdefault(worker, set()).add(channel)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sfu-worker-watch")

    async def discard(self, channel: str) -> None:
        self._forget(channel)
        if not self.channels:
            task, self._task = self._task, None
            if task is not None and task is not asyncio.current_task():
                await cancel_and_wait([task])

    def _forget(self, channel: str) -> None:
        for worker in [w for w, chans in self.channels.items() if channel in chans]:
            self.channels[worker].discard(channel)
            if not self.channels[worker]:
                del self.channels[worker]

    async def _run(self) -> None:
        while self.channels:
            await asyncio.sleep(settings.SFU_HEARTBEAT_SECONDS)
            try:
                await self.check()
            except Exception:  # Redis unreachable for a moment: no verdict, try again next round
                logger.warning("Checking SFU heartbeats failed", exc_info=True)

    async def check(self) -> list[str]:
        """One round: tell the consumers of every worker whose heartbeat is gone. Returns those workers."""
        workers = list(self.channels)
        if not workers:
            return []
        values = await asyncio.wait_for(
            redis_client().mget([heartbeat_key(w) for w in workers]), CHECK_TIMEOUT
        )
        dead = [w for w, value in zip(workers, values, strict=True) if value is None]
        layer = get_channel_layer()
        for worker in dead:
            channels = self.channels.pop(worker, set())
            logger.warning("SFU worker %s stopped its heartbeat: moving %s consumers", worker, len(channels))
            for channel in channels:
                try:
                    await layer.send(channel, dict(protocol.sfu_worker_lost(worker=worker)))
                except Exception:
                    logger.warning("Could not tell %s that worker %s died", channel, worker, exc_info=True)
        return dead


_watches: dict[asyncio.AbstractEventLoop, WorkerWatch] = {}


def worker_watch() -> WorkerWatch:
    """The watch of the running event loop."""
    loop = asyncio.get_running_loop()
    for old in [lp for lp in _watches if lp.is_closed()]:
        del _watches[old]
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = WorkerWatch()
    return watch
