"""Which SFU worker a meeting's media goes to: one rule, read from the workers' Redis heartbeats.

Key: ``{REDIS_PREFIX}:sfu:worker:<id>`` -> JSON SfuHeartbeat, expiring after SFU_WORKER_TTL_SECONDS
unless refreshed (sfu.heartbeat.Heartbeat, every SFU_HEARTBEAT_SECONDS): a worker that dies
disappears by itself.

The rule (``choose_worker``): keep the meeting's current worker while it is alive and not being
avoided; else the live worker with the most room: not full, below its stream capacity (subscriber
streams, SFU_MAX_STREAMS_PER_WORKER, announced in its heartbeat), the smallest share of that
capacity in use, then the fewest participants, ties broken by the earliest ``started_at``, then by
``worker_id``. A meeting already on a worker stays there when it fills up: that worker refuses
further joins with ``server-full`` (the person keeps the chat and is told to try again). Storing the choice is the caller's (rooms.services
.place_meeting: the first writer wins, so every participant of a meeting lands on one worker).
"""

from __future__ import annotations

import asyncio
import json
import types
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from conference import protocol

# One client (one connection pool) per event loop: a pool's connections belong to the loop that
# opened them. Tests and async_to_sync run several loops in one process, so pools are keyed by loop
# and closed when their loop closes.
_clients: dict[tuple[asyncio.AbstractEventLoop, str], aioredis.Redis] = {}


def redis_client() -> aioredis.Redis:
    """The pooled async Redis client of the running event loop (do not close it)."""
    loop = asyncio.get_running_loop()
    key = (loop, settings.REDIS_URL)
    client = _clients.get(key)
    if client is None:
        if not any(k[0] is loop for k in _clients):
            _close_with_loop(loop)
        # A Redis restart leaves dead connections in the pool: retry once on a fresh one, and
        # check idle ones before use, so the first command after the restart does not fail.
        client = _clients[key] = aioredis.Redis.from_url(
            settings.REDIS_URL,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=10,
            socket_connect_timeout=2,
        )
    return client


def _close_with_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Disconnect the loop's pools just before the loop closes (as channels_redis does)."""
    original = loop.close

    def close(self: asyncio.AbstractEventLoop, *args: Any, **kwargs: Any) -> None:
        for key in [k for k in _clients if k[0] is loop]:
            client = _clients.pop(key)
            if not loop.is_running():
                try:
                    loop.run_until_complete(asyncio.wait_for(client.aclose(), 3))
                except Exception:  # closing is best effort; the loop closes regardless
                    pass
        self.close = original  # type: ignore[method-assign]
        original(*args, **kwargs)

    loop.close = types.MethodType(close, loop)  # type: ignore[method-assign]


def heartbeat_key(worker_id: str) -> str:
    return f"{settings.REDIS_PREFIX}:{protocol.SFU_HEARTBEAT_KEY}{worker_id}"


def decode(raw: bytes | str | None) -> protocol.SfuHeartbeat | None:
    """A heartbeat from its JSON, or None when it is missing or malformed."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return {
            "worker_id": str(data["worker_id"]),
            "load": int(data["load"]),
            "started_at": float(data["started_at"]),
            "full": bool(data.get("full", False)),
            "streams": int(data.get("streams", 0)),
            "capacity": int(data.get("capacity", 0)),
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


async def live_workers() -> list[protocol.SfuHeartbeat]:
    """Every worker with a valid, unexpired heartbeat."""
    client = redis_client()
    keys = [key async for key in client.scan_iter(match=heartbeat_key("*"), count=100)]
    values = await client.mget(keys) if keys else []
    return [beat for beat in map(decode, values) if beat is not None]


async def is_alive(worker_id: str) -> bool:
    return bool(await redis_client().exists(heartbeat_key(worker_id)))


def has_room(worker: protocol.SfuHeartbeat) -> bool:
    """Not full by its own word, and below its stream capacity when it announces one."""
    capacity = worker.get("capacity", 0)
    return not worker.get("full", False) and not (capacity > 0 and worker.get("streams", 0) >= capacity)


def used(worker: protocol.SfuHeartbeat) -> float:
    """The share of its stream capacity in use (0 when it announces none)."""
    capacity = worker.get("capacity", 0)
    return worker.get("streams", 0) / capacity if capacity > 0 else 0.0


def least_loaded(workers: list[protocol.SfuHeartbeat], *, avoid: str = "") -> str | None:
    """The worker with the most room: share of stream capacity used, then load (participants),
    then started_at, then worker_id; full and avoided workers are skipped."""
    candidates = [w for w in workers if w["worker_id"] != avoid and has_room(w)]
    if not candidates:
        return None
    return min(candidates, key=lambda w: (used(w), w["load"], w["started_at"], w["worker_id"]))["worker_id"]


async def choose_worker(*, current: str = "", avoid: str = "") -> str | None:
    """The worker for a meeting now on ``current`` ("" when unplaced), or None when none is usable.

    ``avoid``: a worker that is shutting down (its heartbeat may still be visible).
    """
    if current and current != avoid and await is_alive(current):
        return current
    return least_loaded(await live_workers(), avoid=avoid)
