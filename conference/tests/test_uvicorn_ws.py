"""conference.uvicorn_ws: the lean wsproto protocol behaves as uvicorn's own (messages both ways
in order, backpressure, ping and close) while keeping less per socket, checked on a real uvicorn
server in this process and a real WebSocket client."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
import websockets
from django.test import SimpleTestCase

from conference.testing.redis import free_port
from conference.uvicorn_ws import HANDSHAKEN, EventList, Flag, LeanWSProtocol, Mailbox


class MailboxTestCase(SimpleTestCase):
    async def test_in_order_and_a_waiting_get_is_woken(self) -> None:
        box = Mailbox()
        box.put_nowait(1)
        box.put_nowait(2)
        self.assertEqual([await box.get(), await box.get()], [1, 2])
        self.assertTrue(box.empty())
        waiting = asyncio.ensure_future(box.get())
        await asyncio.sleep(0)
        self.assertFalse(waiting.done())
        box.put_nowait(3)
        self.assertEqual(await asyncio.wait_for(waiting, 2), 3)

    async def test_a_cancelled_get_loses_nothing(self) -> None:
        box = Mailbox()
        waiting = asyncio.ensure_future(box.get())
        await asyncio.sleep(0)
        waiting.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await waiting
        box.put_nowait("kept")
        self.assertEqual(await asyncio.wait_for(box.get(), 2), "kept")

    async def test_a_second_concurrent_get_is_refused_not_left_hanging(self) -> None:
        box = Mailbox()
        first = asyncio.ensure_future(box.get())
        await asyncio.sleep(0)
        with self.assertRaises(RuntimeError):
            await asyncio.wait_for(box.get(), 2)
        box.put_nowait("x")
        self.assertEqual(await asyncio.wait_for(first, 2), "x")


class FlagTestCase(SimpleTestCase):
    async def test_wait_blocks_while_cleared_and_every_waiter_wakes_on_set(self) -> None:
        flag = Flag()
        flag.set()
        await asyncio.wait_for(flag.wait(), 2)
        flag.clear()
        waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
        await asyncio.sleep(0.05)
        self.assertFalse(any(w.done() for w in waiters))
        flag.set()
        await asyncio.wait_for(asyncio.gather(*waiters), 2)
        self.assertIsNone(flag.waiters)

    def test_event_list_pops_from_the_left(self) -> None:
        events = EventList([1, 2])
        events.append(3)
        self.assertEqual([events.popleft(), events.popleft(), events.popleft()], [1, 2, 3])
        self.assertFalse(events)


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts, answers each text with itself in upper case, closes with 4000 on "bye"."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "bye":
            await send({"type": "websocket.close", "code": 4000})
            continue
        await send({"type": "websocket.send", "text": message["text"].upper()})


class LeanProtocolTestCase(SimpleTestCase):
    async def test_a_socket_through_the_lean_protocol(self) -> None:
        port = free_port()
        config = uvicorn.Config(
            echo,
            host="127.0.0.1",
            port=port,
            ws=LeanWSProtocol,
            ws_ping_interval=0.2,
            ws_ping_timeout=2.0,
            lifespan="off",
            log_config=None,
            access_log=False,
        )
        server = uvicorn.Server(config)
        serving = asyncio.ensure_future(server.serve())
        try:
            async with asyncio.timeout(20):
                while not server.started:
                    await asyncio.sleep(0.05)
                async with websockets.connect(f"ws://127.0.0.1:{port}/", ping_interval=None) as ws:
                    for word in ("one", "two", "three"):
                        await ws.send(word)
                    self.assertEqual([await ws.recv() for _ in range(3)], ["ONE", "TWO", "THREE"])
                    (protocol,) = server.server_state.connections
                    self.assertIsInstance(protocol, LeanWSProtocol)
                    self.assertIs(protocol.conn.handshake, HANDSHAKEN)  # the h11 handshake let go
                    self.assertIsInstance(protocol.queue, Mailbox)
                    await asyncio.sleep(0.6)  # pings answered by the client: the socket stays
                    await ws.send("still")
                    self.assertEqual(await ws.recv(), "STILL")
                    self.assertGreater(protocol.last_ping_rtt, 0.0)
                    await ws.send("bye")
                    with self.assertRaises(websockets.exceptions.ConnectionClosed) as closed:
                        await ws.recv()
                    self.assertEqual(closed.exception.rcvd.code, 4000)
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, 15)
