"""SFU workers announce themselves in Redis; the room consumer places meetings with these reads.

Key: ``{REDIS_PREFIX}:sfu:worker:<id>`` -> JSON SfuHeartbeat, expiring after SFU_WORKER_TTL_SECONDS
unless refreshed (every SFU_HEARTBEAT_SECONDS): a worker that dies disappears by itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import redis
import redis.asyncio as aioredis
from django.conf import settings

from conference import protocol

logger = logging.getLogger(__name__)


def heartbeat_key(worker_id: str) -> str:
    return f"{settings.REDIS_PREFIX}:{protocol.SFU_HEARTBEAT_KEY}{worker_id}"


def _pattern() -> str:
    return heartbeat_key("*")


def _decode(raw: bytes | str | None) -> protocol.SfuHeartbeat | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return {
            "worker_id": str(data["worker_id"]),
            "load": int(data["load"]),
            "started_at": float(data["started_at"]),
            "full": bool(data.get("full", False)),
        }
    except (ValueError, KeyError, TypeError):
        return None


def _least_loaded(workers: list[protocol.SfuHeartbeat]) -> str | None:
    if not workers:
        return None
    return min(workers, key=lambda w: (w["load"], w["started_at"], w["worker_id"]))["worker_id"]


def async_client() -> aioredis.Redis:
    return aioredis.from_url(settings.REDIS_URL)


# ----------------------------------------------------------------------------- async


async def write_heartbeat(client: aioredis.Redis, beat: protocol.SfuHeartbeat) -> None:
    ttl_ms = max(1, int(settings.SFU_WORKER_TTL_SECONDS * 1000))
    await client.set(heartbeat_key(beat["worker_id"]), json.dumps(beat), px=ttl_ms)


async def delete_heartbeat(client: aioredis.Redis, worker_id: str) -> None:
    await client.delete(heartbeat_key(worker_id))


async def live_workers() -> list[protocol.SfuHeartbeat]:
    client = async_client()
    try:
        keys = [key async for key in client.scan_iter(match=_pattern(), count=100)]
        values = await client.mget(keys) if keys else []
    finally:
        await client.aclose()
    return [beat for beat in map(_decode, values) if beat is not None]


async def is_alive(worker_id: str) -> bool:
    client = async_client()
    try:
        return bool(await client.exists(heartbeat_key(worker_id)))
    finally:
        await client.aclose()


async def pick_worker() -> str | None:
    """The least loaded live worker, or None when no worker is alive."""
    return _least_loaded(await live_workers())


class Heartbeat:
    """Refreshes one worker's key every SFU_HEARTBEAT_SECONDS; owns its task."""

    def __init__(
        self, worker_id: str, load: Callable[[], int], full: Callable[[], bool] = lambda: False
    ) -> None:
        self.worker_id = worker_id
        self.load = load
        self.full = full
        self.started_at = time.time()
        self._client = async_client()
        self._task: asyncio.Task[None] | None = None

    def beat(self) -> protocol.SfuHeartbeat:
        return {
            "worker_id": self.worker_id,
            "load": self.load(),
            "started_at": self.started_at,
            "full": self.full(),
        }

    async def start(self) -> None:
        await write_heartbeat(self._client, self.beat())  # visible before the first command
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(settings.SFU_HEARTBEAT_SECONDS)
            try:
                await asyncio.wait_for(write_heartbeat(self._client, self.beat()), 5)
            except Exception:
                logger.warning("SFU heartbeat to Redis failed", exc_info=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        try:
            await asyncio.wait_for(delete_heartbeat(self._client, self.worker_id), 5)
        finally:
            await self._client.aclose()


# ------------------------------------------------------------------------------ sync


def sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def live_workers_sync() -> list[protocol.SfuHeartbeat]:
    with sync_client() as client:
        keys = list(client.scan_iter(match=_pattern(), count=100))
        values = client.mget(keys) if keys else []
    return [beat for beat in map(_decode, values) if beat is not None]


def is_alive_sync(worker_id: str) -> bool:
    with sync_client() as client:
        return bool(client.exists(heartbeat_key(worker_id)))


def pick_worker_sync() -> str | None:
    return _least_loaded(live_workers_sync())
