"""The one loop of the worker commands (runsfu, runtranscriber), and their bounded shutdown.

``serve()`` reads a channel-layer channel and hands each message to ``handle`` until a stop flag is
set (``install_stop_signals()`` sets it on SIGTERM/SIGINT):
- the receive is bounded: it stays pending across rounds of ``receive_timeout`` seconds and is
  cancelled only at shutdown, because a channel-layer receive that is cancelled while redis-py reads
  its blocking BZPOPMIN reply can miss the cancellation and go on waiting (seen under CPU load);
- an error reading the channel (Redis gone for a moment) is logged and retried after a back-off of
  at most ``RETRY_MAX`` seconds;
- a handler that raises is logged, and the next message is read: one bad message never stops a worker;
- the loop never cancels a handler half-way: a slow one is logged (``slow_after``), and at stop the
  message in hand is finished within ``drain_timeout`` seconds (only then is it cancelled).

Workers cancel their other tasks and wait a bounded time (``cancel_and_wait``), and the event loop
is closed without asyncio.run()'s unbounded wait for every task (``run_worker``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]

RETRY_MIN = 0.5  # seconds before reading the channel again after an error, doubled up to RETRY_MAX
RETRY_MAX = 8.0


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any] | None], timeout: float = 3.0) -> None:
    """Cancel the tasks and wait for them, at most ``timeout`` seconds."""
    live = {t for t in tasks if t is not None}
    for task in live:
        task.cancel()
    if not live:
        return
    _, pending = await asyncio.wait(live, timeout=timeout)
    for task in pending:
        name = task.get_name() if isinstance(task, asyncio.Task) else repr(task)
        logger.warning("Task %s did not stop within %.0f s; leaving it behind", name, timeout)
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


def install_stop_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT (call from inside the running event loop)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


# Fields whose contents never go into a log line: SDP carries ICE credentials, text is what people said.
SECRET_FIELDS = frozenset({"sdp", "candidate", "text", "pcm", "password", "token", "credential"})


def describe(message: Any) -> str:
    """A message for a log line: bytes and secret fields shown by their length, at most 300 characters."""
    if not isinstance(message, dict):
        return f"<{type(message).__name__}>"

    def shown(key: Any, value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return f"<{len(value)} bytes>"
        if key in SECRET_FIELDS:
            return f"<{len(value) if isinstance(value, str | dict | list) else type(value).__name__}>"
        return value

    return repr({k: shown(k, v) for k, v in message.items()})[:300]


async def serve(
    channel: str,
    handle: Handler,
    stop: asyncio.Event,
    *,
    layer: Any = None,
    receive_timeout: float = 5.0,
    drain_timeout: float = 8.0,
    slow_after: float | None = None,
) -> None:
    """Hand each message of ``channel`` to ``handle`` until ``stop`` is set (see the module doc).

    Returns within about ``drain_timeout`` + 3 s of ``stop`` being set.
    """
    if layer is None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
    receive: asyncio.Future[dict[str, Any]] | None = None
    stopper = asyncio.ensure_future(stop.wait())
    retry = RETRY_MIN
    try:
        while not stop.is_set():
            if receive is None:
                receive = asyncio.ensure_future(layer.receive(channel))
            await asyncio.wait(
                {receive, stopper}, timeout=receive_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not receive.done():
                continue
            try:
                message = receive.result()
            except Exception as exc:  # Redis gone for a moment: wait, then listen again
                logger.warning("Could not read channel %s (retrying in %.1f s): %r", channel, retry, exc)
                receive = None
                await asyncio.wait({stopper}, timeout=retry)
                retry = min(retry * 2, RETRY_MAX)
                continue
            receive = None
            retry = RETRY_MIN
            await _handle_one(handle, message, stopper, drain_timeout=drain_timeout, slow_after=slow_after)
    finally:
        await cancel_and_wait([receive, stopper])


async def _handle_one(
    handle: Handler,
    message: dict[str, Any],
    stopper: asyncio.Future[Any],
    *,
    drain_timeout: float,
    slow_after: float | None,
) -> None:
    """Run ``handle(message)`` to its end; at stop, give it ``drain_timeout`` more seconds."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(handle(message))
    slow_at = None if slow_after is None else started + slow_after
    drain_until: float | None = None
    try:
        while not task.done():
            now = loop.time()
            if drain_until is None and stopper.done():
                drain_until = now + drain_timeout
            if drain_until is not None:
                if now >= drain_until:
                    logger.warning(
                        "Stopping: %s not finished within %.1f s; cancelled", describe(message), drain_timeout
                    )
                    await cancel_and_wait([task])
                    return
                await asyncio.wait({task}, timeout=drain_until - now)
                continue
            timeout = None if slow_at is None else max(0.0, slow_at - now)
            await asyncio.wait({task, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if slow_at is not None and not task.done() and loop.time() >= slow_at:
                logger.warning("Still handling %s after %.1f s", describe(message), loop.time() - started)
                slow_at = None
    except asyncio.CancelledError:  # serve() itself is cancelled: its handler goes with it
        await cancel_and_wait([task])
        raise
    if task.cancelled():
        logger.error("Handler cancelled itself on %s", describe(message))
    elif (exc := task.exception()) is not None:  # one bad message never stops the worker
        logger.error("Handling %s failed", describe(message), exc_info=exc)
    elif slow_after is not None and loop.time() - started >= slow_after:
        logger.warning("Handled %s in %.1f s", describe(message), loop.time() - started)
