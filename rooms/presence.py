"""Presence: a participant is present only while a live connection vouches for it.

Each room consumer holding a participant refreshes a Redis key (``presence:<id>``, through the
cache) every PRESENCE_BEAT_SECONDS, with a PRESENCE_TTL_SECONDS lifetime. A crashed web process
stops refreshing; the reaper (``rooms.services.reap_absent_participants``, a Celery beat task)
ends participants whose key is gone. Redis errors are logged and retried on the next beat: the
reaper waits for two missing readings, so losing Redis for a moment removes nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from django.conf import settings

from conference.cache import shared

log = logging.getLogger(__name__)

SUSPECTS_KEY = "presence:suspects"  # {participant id: time.time() when first found missing}


def key(participant_id: int) -> str:
    return f"presence:{participant_id}"


def touch(participant_id: int, channel_name: str) -> None:
    shared().set(key(participant_id), channel_name, timeout=settings.PRESENCE_TTL_SECONDS)


def clear(participant_id: int) -> None:
    shared().delete(key(participant_id))


def absent(participant_ids: list[int]) -> set[int]:
    """The participants no connection vouches for right now."""
    if not participant_ids:
        return set()
    found = shared().get_many([key(i) for i in participant_ids])
    return {i for i in participant_ids if key(i) not in found}


def confirm_absent(missing: set[int], *, now: float | None = None) -> set[int]:
    """Of the participants found missing now, those also missing at least a beat ago.

    Remembers the others (the reaper's previous readings live in Redis too, so any Celery worker
    may run the next pass).
    """
    now = time.time() if now is None else now
    before: dict[int, float] = shared().get(SUSPECTS_KEY) or {}
    suspects = {pid: before.get(pid, now) for pid in missing}
    shared().set(SUSPECTS_KEY, suspects, timeout=max(60.0, 4 * settings.PRESENCE_TTL_SECONDS))
    return {pid for pid, since in suspects.items() if now - since >= settings.PRESENCE_BEAT_SECONDS}


class PresenceBeat:
    """The consumer's heartbeat for its participant: one task, owned, cancelled and awaited."""

    __slots__ = ("task", "participant")  # one per connection: no __dict__

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.participant = 0

    async def start(self, participant_id: int, channel_name: str) -> None:
        await self.stop()
        self.participant = participant_id
        await self._touch(channel_name)  # at once: the reaper must never see a fresh join missing
        self.task = asyncio.create_task(self._run(channel_name), name=f"presence-{participant_id}")

    async def _touch(self, channel_name: str) -> None:
        try:
            await asyncio.wait_for(
                asyncio.to_thread(touch, self.participant, channel_name), settings.PRESENCE_BEAT_SECONDS
            )
        except Exception as e:  # Redis down or slow: the next beat tries again
            log.warning("Presence beat for participant %s failed: %r", self.participant, e)

    async def _run(self, channel_name: str) -> None:
        while True:
            await asyncio.sleep(settings.PRESENCE_BEAT_SECONDS)
            await self._touch(channel_name)

    async def stop(self, *, forget: bool = False) -> None:
        """Stop beating; ``forget``: also delete the key (a leave, not a handover)."""
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if forget and self.participant:
            try:
                await asyncio.wait_for(asyncio.to_thread(clear, self.participant), 2.0)
            except Exception as e:
                log.warning("Could not clear presence of participant %s: %r", self.participant, e)
