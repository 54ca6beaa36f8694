"""The SFU circuit breaker of a web process (rooms.media_breaker), opened and closed by a real
fault: the Redis that holds the SFU heartbeats (REDIS_URL, a server of the test's own) is stopped
or stalled (SIGSTOP) and comes back. The channel layer stays on the shared Redis, so chat and the
consumer live on; an SFU heartbeat (sfu.heartbeat.Heartbeat, as runsfu runs it) says a worker is
up, and the test reads the worker's channel in its place."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from accounts.models import Membership
from conference import protocol
from conference.breakers import async_breaker
from conference.testing.redis import RedisServer
from rooms.media_breaker import BREAKER_OPEN
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing
from sfu.heartbeat import Heartbeat

RESET = 2.0
BREAKER = {
    "BREAKER_SFU_FAILURES": 2,
    "BREAKER_SFU_RESET_SECONDS": RESET,
    "BREAKER_SFU_TIMEOUT_SECONDS": 1.0,
    "SFU_HEARTBEAT_SECONDS": 0.2,
    "SFU_WORKER_TTL_SECONDS": 30,
}


class SfuBreakerTestCase(ConsumerTestCase):
    def setUp(self) -> None:
        super().setUp()
        Membership.objects.create(organization=self.org, user=self.charlie, role=Membership.Role.MEMBER)
        self.redis = RedisServer().start()
        self.addCleanup(self.redis.stop)
        overrides = override_settings(REDIS_URL=self.redis.url, **BREAKER)
        overrides.enable()
        self.addCleanup(overrides.disable)

    async def join(self, user: Any, resume: str = "") -> tuple[WebsocketCommunicator, dict[str, Any], float]:
        """A socket that joined, its `joined`, and the seconds the join took."""
        c = self.communicator(await database_sync_to_async(self.cookie_for)(user))
        self.assertTrue((await c.connect(timeout=TIMEOUT))[0])
        started = time.monotonic()
        await c.send_to(text_data=json.dumps(protocol.client_join(resume=resume)))
        joined = await self.receive_type(c, "joined")
        return c, joined, time.monotonic() - started

    async def start_worker(self) -> Heartbeat:
        beat = Heartbeat(f"brk-{time.time():.6f}", lambda: 0)
        await beat.start()
        self.worker = beat.worker_id
        return beat

    async def sfu_join(self) -> dict[str, Any]:
        """The next sfu.join the consumer sent to the worker."""
        layer = get_channel_layer()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            message = await asyncio.wait_for(layer.receive(protocol.sfu_channel(self.worker)), TIMEOUT)
            if message["type"] == "sfu.join":
                return message
        raise AssertionError("no sfu.join")

    async def open_breaker(self, users: list[Any]) -> list[dict[str, Any]]:
        """Joins during the fault until the breaker opens; their `joined` messages."""
        answers = []
        for user in users:
            _, joined, _ = await self.join(user)
            answers.append(joined)
            if async_breaker("sfu").is_open:
                return answers
        self.fail("the SFU breaker did not open")

    async def media_back_after_retry(self, c: WebsocketCommunicator, first: dict[str, Any]) -> dict[str, Any]:
        """What the page does on `media_retry_after`: wait, then ask again on the same socket."""
        self.assertGreater(first["media_retry_after"], 0)
        await asyncio.sleep(max(first["media_retry_after"], RESET) + 0.2)
        await c.send_to(text_data=json.dumps(protocol.client_media_restart_request()))
        return await self.receive_type(c, "media-restart")

    @closing
    async def test_redis_stopped_opens_the_breaker_joins_answer_at_once_and_media_comes_back(self) -> None:
        beat = await self.start_worker()
        try:
            _, alice, _ = await self.join(self.alice)
            self.assertTrue(alice["media"])
            await self.sfu_join()

            await asyncio.to_thread(self.redis.stop)
            answers = await self.open_breaker([self.bob, self.charlie])
            for joined in answers:  # every refused join says so in the breaker's words
                self.assertEqual((joined["media"], joined["media_message"]), (False, BREAKER_OPEN))
            # Open: the next join (bob's page retrying) does not even try Redis.
            c, bob, took = await self.join(self.bob, resume=answers[0]["resume"])
            self.assertEqual((bob["media"], bob["media_message"]), (False, BREAKER_OPEN))
            self.assertLess(took, 0.5)
            self.assertEqual(bob["participant"]["id"], answers[0]["participant"]["id"])  # same place

            await asyncio.to_thread(self.redis.start)  # a new, empty Redis on the same port
            await asyncio.sleep(3 * BREAKER["SFU_HEARTBEAT_SECONDS"])  # the worker's beat is back
            await self.media_back_after_retry(c, bob)
            self.assertEqual((await self.sfu_join())["participant"], bob["participant"]["id"])
            self.assertFalse(async_breaker("sfu").is_open)
        finally:
            await beat.stop()

    @closing
    async def test_redis_stalled_costs_a_bounded_wait_then_none(self) -> None:
        beat = await self.start_worker()
        assert self.redis.process is not None
        pid = self.redis.process.pid
        try:
            _, alice, _ = await self.join(self.alice)
            self.assertTrue(alice["media"])
            os.kill(pid, signal.SIGSTOP)  # accepts connections, answers nothing: a hang without bounds
            try:
                started = time.monotonic()
                answers = await self.open_breaker([self.bob, self.charlie])
                # Each try costs at most the timeout (1 s) with some slack for a loaded machine.
                self.assertLess(time.monotonic() - started, len(answers) * 2.5)
                c, bob, took = await self.join(self.bob, resume=answers[0]["resume"])
                self.assertEqual((bob["media"], bob["media_message"]), (False, BREAKER_OPEN))
                self.assertLess(took, 0.5)
            finally:
                os.kill(pid, signal.SIGCONT)
            await self.media_back_after_retry(c, bob)
            self.assertFalse(async_breaker("sfu").is_open)
        finally:
            await beat.stop()
