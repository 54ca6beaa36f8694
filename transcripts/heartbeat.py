"""A transcription worker announces itself in Redis, as an SFU worker does (sfu.heartbeat): the
SFU's captions breaker (transcripts.captions_breaker) reads these to tell "no transcriber is
running" from "transcribers are busy" (requests to a channel nobody reads are still accepted)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from django.conf import settings

from conference import protocol
from sfu.placement import redis_client

logger = logging.getLogger(__name__)

WRITE_TIMEOUT = 5.0


def heartbeat_key(worker_id: str) -> str:
    return f"{settings.REDIS_PREFIX}:{protocol.TRANSCRIBER_HEARTBEAT_KEY}{worker_id}"


async def any_alive() -> bool:
    """Whether some transcriber's heartbeat is unexpired (raises if Redis does not answer)."""
    async for _ in redis_client().scan_iter(match=heartbeat_key("*"), count=100):
        return True
    return False


class TranscriberHeartbeat:
    """Refreshes one transcriber's key every TRANSCRIBER_HEARTBEAT_SECONDS; owns its task."""

    def __init__(self, worker_id: str) -> None:
        self.beat = protocol.transcriber_heartbeat(worker_id=worker_id, started_at=time.time())
        self._task: asyncio.Task[None] | None = None

    async def _write(self) -> None:
        ttl_ms = max(1, int(settings.TRANSCRIBER_TTL_SECONDS * 1000))
        key = heartbeat_key(self.beat["worker_id"])
        await asyncio.wait_for(redis_client().set(key, json.dumps(self.beat), px=ttl_ms), WRITE_TIMEOUT)

    async def start(self) -> None:
        try:
            await self._write()
        except Exception:  # Redis down at start: the loop below keeps trying
            logger.warning("Transcriber heartbeat to Redis failed", exc_info=True)
        self._task = asyncio.create_task(self._run(), name="transcriber-heartbeat")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(settings.TRANSCRIBER_HEARTBEAT_SECONDS)
            try:
                await self._write()
            except Exception:
                logger.warning("Transcriber heartbeat to Redis failed", exc_info=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:  # gone at once, not after the TTL: the SFUs learn of a clean stop within a beat
            await asyncio.wait_for(
                redis_client().delete(heartbeat_key(self.beat["worker_id"])), WRITE_TIMEOUT
            )
        except Exception:
            logger.warning("Could not remove the transcriber heartbeat", exc_info=True)
