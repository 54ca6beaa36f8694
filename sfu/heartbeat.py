"""An SFU worker announces itself in Redis (read by sfu.placement); the key expires if it dies."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import redis.asyncio as aioredis
from django.conf import settings

from conference import protocol
from sfu.placement import heartbeat_key, redis_client

logger = logging.getLogger(__name__)


async def write_heartbeat(client: aioredis.Redis, beat: protocol.SfuHeartbeat) -> None:
    ttl_ms = max(1, int(settings.SFU_WORKER_TTL_SECONDS * 1000))
    await client.set(heartbeat_key(beat["worker_id"]), json.dumps(beat), px=ttl_ms)


async def delete_heartbeat(client: aioredis.Redis, worker_id: str) -> None:
    await client.delete(heartbeat_key(worker_id))


class Heartbeat:
    """Refreshes one worker's key every SFU_HEARTBEAT_SECONDS; owns its task.

    ``full``: whether the worker takes no new meetings (placement skips it); never, by default.
    ``streams`` / ``capacity``: subscriber streams forwarded now and the most it holds; placement
    prefers the worker with the most room.
    """

    def __init__(
        self,
        worker_id: str,
        load: Callable[[], int],
        full: Callable[[], bool] = lambda: False,
        streams: Callable[[], int] = lambda: 0,
        capacity: int = 0,
    ) -> None:
        self.worker_id = worker_id
        self.load = load
        self.full = full
        self.streams = streams  # subscriber streams forwarded now
        self.capacity = capacity  # subscriber streams the worker holds (0: not announced)
        self.started_at = time.time()
        self.last_ok = 0.0  # time.monotonic() of the last beat Redis took (0: none yet)
        self._task: asyncio.Task[None] | None = None

    def beat(self) -> protocol.SfuHeartbeat:
        return protocol.sfu_heartbeat(
            worker_id=self.worker_id,
            load=self.load(),
            started_at=self.started_at,
            full=self.full(),
            streams=self.streams(),
            capacity=self.capacity,
        )

    async def start(self) -> None:
        await write_heartbeat(redis_client(), self.beat())  # visible before the first command
        self.last_ok = time.monotonic()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(settings.SFU_HEARTBEAT_SECONDS)
            try:
                await asyncio.wait_for(write_heartbeat(redis_client(), self.beat()), 5)
                self.last_ok = time.monotonic()
            except Exception:
                logger.warning("SFU heartbeat to Redis failed", exc_info=True)

    def check(self) -> str | None:
        """Readiness: placement sees this worker only while its beats reach Redis."""
        age = time.monotonic() - self.last_ok
        if not self.last_ok or age > settings.SFU_WORKER_TTL_SECONDS:
            return f"no heartbeat written for {age:.1f} s" if self.last_ok else "no heartbeat written yet"
        return None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await asyncio.wait_for(delete_heartbeat(redis_client(), self.worker_id), 5)
