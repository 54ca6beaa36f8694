"""conference.workers.serve(): the one loop of runsfu and runtranscriber, on a real channels-redis layer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import unittest
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from channels_redis.core import RedisChannelLayer
from django.conf import settings

from conference.workers import serve

WAIT = 15.0  # bound on every wait (2 shared cores)
CHANNEL = "workertest"


class RedisProxy:
    """A TCP proxy in front of the test Redis that can refuse every connection, to make reads fail."""

    def __init__(self) -> None:
        url = urlsplit(settings.REDIS_URL)
        self.target = (url.hostname or "127.0.0.1", url.port or 6379)
        self.refusing = False
        self.refused = 0
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        url = urlsplit(settings.REDIS_URL)
        return urlunsplit((url.scheme, f"127.0.0.1:{port}", url.path, url.query, ""))

    def refuse(self) -> None:
        """Close the open connections and every new one until ``forward()``."""
        self.refusing = True
        for writer in list(self.writers):
            writer.close()

    def forward(self) -> None:
        self.refusing = False

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            self.refused += 1
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pipe(src, dst))
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(dst)
            dst.close()

    async def close(self) -> None:
        for writer in list(self.writers):
            writer.close()
        for task in list(self.pipes):
            task.cancel()
        if self.pipes:
            await asyncio.wait(self.pipes, timeout=5)
        if self.server is not None:
            self.server.close()
            await asyncio.wait_for(self.server.wait_closed(), 5)


def make_layer(address: str) -> RedisChannelLayer:
    # The same socket timeout as settings.CHANNEL_LAYERS (longer than the 5 s BZPOPMIN wait).
    return RedisChannelLayer(
        hosts=[{"address": address, "socket_timeout": 15}],
        prefix=f"{settings.REDIS_PREFIX}:asgi-workers-{os.getpid()}",
    )


async def until(check: Any, what: str, timeout: float = WAIT) -> None:
    """Poll ``check()`` until it is true, at most ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


class ServeTestCase(unittest.IsolatedAsyncioTestCase):
    """No database: a plain asyncio test case (asyncSetUp, async clean-ups)."""

    async def asyncSetUp(self) -> None:
        self.layer = make_layer(settings.REDIS_URL)
        await self.layer.flush()
        self.stop = asyncio.Event()
        self.handled: list[dict[str, Any]] = []
        self.addAsyncCleanup(self._close_layer)  # clean-ups run last first: after serve() stopped

    async def _close_layer(self) -> None:
        await self.layer.flush()
        await self.layer.close_pools()

    def start(self, handle: Any = None, *, layer: Any = None, **kwargs: Any) -> asyncio.Task[None]:
        async def record(message: dict[str, Any]) -> None:
            self.handled.append(message)

        task = asyncio.ensure_future(
            serve(CHANNEL, handle or record, self.stop, layer=layer or self.layer, **kwargs)
        )
        self.addAsyncCleanup(self._stop, task)
        return task

    async def _stop(self, task: asyncio.Task[None]) -> None:
        self.stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, WAIT)

    async def send(self, **message: Any) -> None:
        await self.layer.send(CHANNEL, {"type": "test.message", **message})

    async def test_handles_messages_in_order(self) -> None:
        self.start()
        for n in range(3):
            await self.send(n=n)
        await until(lambda: len(self.handled) == 3, "three messages")
        self.assertEqual([m["n"] for m in self.handled], [0, 1, 2])

    async def test_stops_on_the_flag_while_waiting_for_a_message(self) -> None:
        task = self.start(receive_timeout=30.0)
        await self.send(n=0)
        await until(lambda: self.handled, "the first message")  # serve() is now waiting in a receive
        self.stop.set()
        # Well before receive_timeout: the flag wakes the loop, the pending receive is cancelled.
        await asyncio.wait_for(task, 5)
        self.assertIsNone(task.exception())

    async def test_a_handler_exception_does_not_stop_it(self) -> None:
        async def handle(message: dict[str, Any]) -> None:
            if message["n"] == 0:
                raise ValueError("a bad message")
            self.handled.append(message)

        task = self.start(handle)
        with self.assertLogs("conference.workers", logging.ERROR) as logs:
            await self.send(n=0)
            await self.send(n=1)
            await until(lambda: self.handled, "the message after the bad one")
        self.assertEqual([m["n"] for m in self.handled], [1])
        self.assertIn("ValueError: a bad message", "\n".join(logs.output))
        self.assertFalse(task.done())

    async def test_the_message_in_hand_is_finished_at_stop(self) -> None:
        started = asyncio.Event()
        outcome: list[str] = []

        async def handle(message: dict[str, Any]) -> None:
            started.set()
            try:
                await self.stop.wait()
                await asyncio.sleep(0.3)  # work that goes on after the flag is set
                outcome.append("finished")
            except asyncio.CancelledError:
                outcome.append("cancelled")
                raise

        task = self.start(handle, drain_timeout=WAIT)
        await self.send(n=0)
        await asyncio.wait_for(started.wait(), WAIT)
        self.stop.set()
        await asyncio.wait_for(task, WAIT)
        self.assertEqual(outcome, ["finished"])

    async def test_a_handler_is_cancelled_only_after_the_drain_timeout(self) -> None:
        started = asyncio.Event()
        outcome: list[str] = []

        async def handle(message: dict[str, Any]) -> None:
            started.set()
            try:
                await asyncio.Event().wait()  # never finishes by itself
            except asyncio.CancelledError:
                outcome.append("cancelled")
                raise

        task = self.start(handle, drain_timeout=0.5)
        await self.send(n=0)
        await asyncio.wait_for(started.wait(), WAIT)
        with self.assertLogs("conference.workers", logging.WARNING) as logs:
            self.stop.set()
            await asyncio.wait_for(task, WAIT)
        self.assertEqual(outcome, ["cancelled"])
        self.assertIn("not finished within 0.5 s", "\n".join(logs.output))

    async def test_a_slow_handler_is_logged_not_cancelled(self) -> None:
        release = asyncio.Event()

        async def handle(message: dict[str, Any]) -> None:
            await release.wait()
            self.handled.append(message)

        self.start(handle, receive_timeout=0.1, slow_after=0.2)
        with self.assertLogs("conference.workers", logging.WARNING) as logs:
            await self.send(n=0)
            await until(lambda: any("Still handling" in line for line in logs.output), "the slow log")
            release.set()
            await until(lambda: self.handled, "the slow message to finish")
        self.assertEqual([m["n"] for m in self.handled], [0])

    async def test_read_errors_are_retried(self) -> None:
        proxy = RedisProxy()
        address = await proxy.start()
        self.addAsyncCleanup(proxy.close)
        proxied = make_layer(address)
        self.addAsyncCleanup(proxied.close_pools)
        proxy.refuse()
        with self.assertLogs("conference.workers", logging.WARNING) as logs:
            task = self.start(layer=proxied)
            # Two failed reads in a row: the loop goes on listening after an error.
            await until(lambda: sum("Could not read channel" in line for line in logs.output) >= 2, "errors")
            proxy.forward()
            await self.send(n=0)
            await until(lambda: self.handled, "the message after Redis came back")
        self.assertFalse(task.done())
        self.assertGreaterEqual(proxy.refused, 2)
        self.assertEqual([m["n"] for m in self.handled], [0])
