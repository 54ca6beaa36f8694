"""Shared plumbing for the worker commands (runsfu, runtranscriber): bounded shutdown.

A channel-layer receive that is cancelled while redis-py reads its blocking BZPOPMIN reply can miss
the cancellation and go on waiting (seen under CPU load), so a worker that awaited it would never
stop on SIGTERM. Workers cancel their tasks and wait a bounded time, and the event loop is closed
without asyncio.run()'s unbounded wait for every task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

logger = logging.getLogger(__name__)


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None], timeout: float = 3.0) -> None:
    """Cancel the tasks and wait for them, at most ``timeout`` seconds."""
    live = {t for t in tasks if t is not None}
    for task in live:
        task.cancel()
    if not live:
        return
    _, pending = await asyncio.wait(live, timeout=timeout)
    for task in pending:
        logger.warning("Task %s did not stop within %.0f s; leaving it behind", task.get_name(), timeout)
        task._log_destroy_pending = False  # type: ignore[attr-defined]  # known and logged above


def run_worker(main: Coroutine[Any, Any, None]) -> None:
    """Like asyncio.run(main), but never blocks on tasks that ignored their cancellation."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main)
        leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
        if leftovers:
            loop.run_until_complete(cancel_and_wait(leftovers))
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), 3))
    finally:
        loop.close()
