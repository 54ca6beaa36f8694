"""Readiness of the web: at least one live SFU worker (a fresh heartbeat in Redis, sfu.placement)."""

from __future__ import annotations

import redis
from django.conf import settings

from sfu.placement import decode, heartbeat_key


def live_worker_ids(timeout: float) -> list[str]:
    """The ids of workers with a valid, unexpired heartbeat (synchronous: for the health checks)."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        keys = list(client.scan_iter(match=heartbeat_key("*"), count=100))
        values = client.mget(keys) if keys else []
    finally:
        client.close()
    return [beat["worker_id"] for beat in map(decode, values) if beat is not None]


def check_sfu_workers() -> str | None:
    try:
        workers = live_worker_ids(settings.HEALTH_CHECK_TIMEOUT)
    except Exception as exc:
        return f"{type(exc).__name__}"
    return None if workers else "no live SFU worker"
