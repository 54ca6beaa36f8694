"""conference.channel_layer: one reader per process for its specific channels, on real Redis
(the shared server under a prefix of its own; a server of the test's own to make reads fail)."""

from __future__ import annotations

import asyncio
import os
import unittest

import redis.asyncio
from django.conf import settings

from conference.channel_layer import LocalReceiveRedisChannelLayer
from conference.testing.redis import RedisServer

WAIT = 15.0  # bound on every wait (2 shared cores)


def make_layer(address: str, capacity: int = 100) -> LocalReceiveRedisChannelLayer:
    return LocalReceiveRedisChannelLayer(
        hosts=[{"address": address, "socket_timeout": 15}],
        prefix=f"{settings.REDIS_PREFIX}:asgi-local-{os.getpid()}",
        capacity=capacity,
        expiry=30,
    )


class LocalReceiveTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.layer = make_layer(settings.REDIS_URL)
        self.sender = make_layer(settings.REDIS_URL)  # another process's layer, same Redis

    async def asyncTearDown(self) -> None:
        for name in list(self.layer.inboxes):
            self.layer.forget_channel(name)
        await self.layer.flush()
        await self.sender.close_pools()

    async def test_group_fan_out_keeps_order_per_channel_and_parks_no_task(self) -> None:
        names = [await self.layer.new_channel() for _ in range(50)]
        for name in names:
            await self.sender.group_add("room", name)
        got: dict[str, list[int]] = {name: [] for name in names}

        async def consumer(name: str) -> None:
            while len(got[name]) < 5:
                got[name].append((await self.layer.receive(name))["i"])

        tasks = [asyncio.create_task(consumer(name)) for name in names]
        await asyncio.sleep(0.2)
        # 50 waiting receives: one reader task, no task per receive.
        others = {t for t in asyncio.all_tasks() if t not in tasks} - {asyncio.current_task()}
        self.assertEqual(len([t for t in others if "read" in repr(t.get_coro())]), 1)
        for i in range(5):
            await self.sender.group_send("room", {"type": "room.chat", "i": i})
        await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
        self.assertEqual(got, {name: [0, 1, 2, 3, 4] for name in names})
        # The same message object for every local receiver (decoded once per process).
        self.assertEqual(len(self.layer.inboxes), 50)

    async def test_a_direct_send_and_a_cancelled_receive(self) -> None:
        a, b = await self.layer.new_channel(), await self.layer.new_channel()
        waiting = asyncio.create_task(self.layer.receive(b))
        await self.sender.send(a, {"type": "x", "n": 1})
        self.assertEqual(await asyncio.wait_for(self.layer.receive(a), WAIT), {"type": "x", "n": 1})
        waiting.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await waiting
        self.assertNotIn(b, self.layer.inboxes)  # nobody reads b any more
        self.layer.forget_channel(a)
        self.assertEqual(self.layer.inboxes, {})
        self.assertIsNone(self.layer.reader)  # the reader stops with the last inbox

    async def test_an_inbox_over_capacity_drops_its_oldest(self) -> None:
        layer = make_layer(settings.REDIS_URL, capacity=3)
        a = await layer.new_channel()
        first = asyncio.create_task(layer.receive(a))  # then a stops reading
        await asyncio.sleep(0.1)
        for i in range(7):
            await self.sender.send(a, {"type": "x", "i": i})
        self.assertEqual((await asyncio.wait_for(first, WAIT))["i"], 0)
        async with asyncio.timeout(WAIT):
            while not layer.inboxes[a].messages or layer.inboxes[a].messages[-1]["i"] != 6:
                await asyncio.sleep(0.05)
        self.assertEqual([m["i"] for m in layer.inboxes[a].messages], [4, 5, 6])
        layer.forget_channel(a)
        await layer.flush()


class RedisFailureTests(unittest.IsolatedAsyncioTestCase):
    async def test_a_failed_read_fails_every_waiting_receive_and_the_next_one_reads_again(self) -> None:
        server = RedisServer().start()
        self.addCleanup(server.stop)
        layer = LocalReceiveRedisChannelLayer(
            hosts=[{"address": server.url, "socket_timeout": 2}], prefix="asgi-fail", expiry=30
        )
        names = [await layer.new_channel() for _ in range(3)]
        waiting = [asyncio.create_task(layer.receive(name)) for name in names]
        await asyncio.sleep(0.3)
        server.stop()
        results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), WAIT)
        self.assertTrue(all(isinstance(r, Exception) for r in results), results)
        server.start()
        await layer.send(names[0], {"type": "again"})
        self.assertEqual(await asyncio.wait_for(layer.receive(names[0]), WAIT), {"type": "again"})
        await layer.flush()

    async def test_a_late_answer_is_read_again_instead_of_failing_every_receive(self) -> None:
        server = RedisServer().start()
        self.addCleanup(server.stop)
        layer = LocalReceiveRedisChannelLayer(
            hosts=[{"address": server.url, "socket_timeout": 0.5}], prefix="asgi-late", expiry=30
        )
        layer.brpop_timeout = 0.1  # the reader's blocking pop answers well within the socket timeout
        names = [await layer.new_channel() for _ in range(3)]
        waiting = [asyncio.create_task(layer.receive(name)) for name in names]
        await asyncio.sleep(0.3)
        # Redis busy for 1.2 s (a script that spins): the reader's pending read times out.
        busy = redis.asyncio.Redis.from_url(server.url, socket_timeout=10)
        spin = (
            "local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] "
            "while true do local n = redis.call('TIME') if n[1] * 1e6 + n[2] - s > 1.2e6 then break end end"
        )
        await busy.eval(spin, 0)
        await busy.aclose()
        await asyncio.sleep(0.3)
        self.assertFalse(any(task.done() for task in waiting), waiting)
        for name in names:
            await layer.send(name, {"type": "after", "to": name})
        results = await asyncio.wait_for(asyncio.gather(*waiting), WAIT)
        self.assertEqual([r["to"] for r in results], names)
        await layer.flush()


class DispatchLoopTests(unittest.IsolatedAsyncioTestCase):
    """rooms.consumer_loop on this layer: both sources in order, one task per consumer."""

    async def test_both_sources_in_order_and_no_task_for_the_layer(self) -> None:
        from channels.exceptions import StopConsumer

        from rooms.consumer_loop import dispatch_loop

        layer, sender = make_layer(settings.REDIS_URL), make_layer(settings.REDIS_URL)
        name = await layer.new_channel()
        client: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        got: list[object] = []

        async def dispatch(message: dict[str, object]) -> None:
            got.append(message["n"])
            if message["n"] == "end":
                raise StopConsumer()

        loop_task = asyncio.create_task(dispatch_loop(client.get, layer, name, dispatch))
        await asyncio.sleep(0.2)
        tasks = asyncio.all_tasks() - {asyncio.current_task(), loop_task}
        self.assertEqual(len(tasks), 2, tasks)  # the client receive and the process's one reader
        for i in range(3):
            await sender.send(name, {"type": "x", "n": f"layer-{i}"})
            await client.put({"type": "websocket.receive", "n": f"client-{i}"})
        async with asyncio.timeout(WAIT):
            while len(got) < 6:
                await asyncio.sleep(0.05)
        self.assertEqual([n for n in got if str(n).startswith("layer")], ["layer-0", "layer-1", "layer-2"])
        self.assertEqual(
            [n for n in got if str(n).startswith("client")], ["client-0", "client-1", "client-2"]
        )
        await client.put({"type": "websocket.disconnect", "n": "end"})
        with self.assertRaises(StopConsumer):
            await asyncio.wait_for(loop_task, WAIT)
        self.assertEqual(layer.inboxes, {})  # forgotten; the reader stops with it
        await layer.flush()
        await sender.close_pools()
