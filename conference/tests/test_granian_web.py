"""The web served by Granian (conference.granian_web, what deploy/cluster.py, compose and
Kubernetes run) behaves as it did under Daphne: chat between two people, the close codes of both
sides (a page's 1000 ends the place, a drop keeps it for a resume, the server's 4008 reaches the
page), the client address from X-Forwarded-For behind one proxy and never from the server, one
pid that serves, and a clean stop on SIGTERM. Real processes, real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import websockets
from channels.db import database_sync_to_async

from conference import protocol
from conference.testing.processes import WorkerProcess, worker_environment
from conference.testing.redis import free_port
from rooms.models import Participant, Room
from rooms.tests.test_consumer import ConsumerTestCase
from rooms.tests.test_web_crash import wait_listening

TIMEOUT = 20.0


class GranianWebTestCase(ConsumerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.port = free_port()
        env = {**worker_environment(), "TRUSTED_PROXY_HOPS": "1", "WS_FLOOD_CLOSE_AFTER": "5"}
        argv = [sys.executable, "-m", "conference.granian_web", "--port", str(self.port)]
        self.web = WorkerProcess("granian-web", argv, env=env)
        self.web.start()
        self.addCleanup(self.web.stop, 5)
        wait_listening(self.port, 60)

    async def open(self, cookie: str, forwarded_for: str = "") -> Any:
        headers = {"Cookie": cookie}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        return await websockets.connect(
            f"ws://localhost:{self.port}/ws/rooms/{self.room.slug}/",
            additional_headers=headers,
            origin=f"http://localhost:{self.port}",  # type: ignore[arg-type]
            open_timeout=TIMEOUT,
        )

    async def next_of(self, ws: Any, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == kind:
                    return message

    async def joined(self, ws: Any) -> dict[str, Any]:
        await ws.send(json.dumps({"type": "join"}))
        return await self.next_of(ws, "joined")

    async def test_chat_and_the_close_codes_of_both_sides(self) -> None:
        alice = await self.open(await database_sync_to_async(self.cookie_for)(self.alice))
        bob = await self.open(await database_sync_to_async(self.cookie_for)(self.bob))
        me = (await self.joined(alice))["participant"]["id"]
        await self.joined(bob)
        await alice.send(json.dumps({"type": "chat", "text": "through granian"}))
        self.assertEqual((await self.next_of(bob, "chat"))["message"]["text"], "through granian")

        await bob.close(code=4000)  # a drop (not 1000/1001): the place is kept for a resume
        await asyncio.sleep(1)
        bob_left = await Participant.objects.filter(user=self.bob, left_at__isnull=True).aexists()
        self.assertTrue(bob_left, "a dropped socket keeps its place")

        await alice.close(code=1000)  # the page closed it: the place is given up
        async with asyncio.timeout(TIMEOUT):
            while not await Participant.objects.filter(pk=me, left_at__isnull=False).aexists():
                await asyncio.sleep(0.1)

    async def test_the_servers_close_code_reaches_the_page(self) -> None:
        ws = await self.open(await database_sync_to_async(self.cookie_for)(self.alice))
        await self.joined(ws)
        for _ in range(200):  # far past the burst: rate-limited, then closed for flooding
            try:
                await ws.send(json.dumps({"type": "hand", "raised": True}))
            except websockets.exceptions.ConnectionClosed:
                break
        async with asyncio.timeout(TIMEOUT):
            await ws.wait_closed()
        self.assertEqual(ws.close_code, protocol.CLOSE_FLOOD)

    async def test_the_client_address_comes_from_our_proxy_only(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(access=Room.Access.LINK)
        cookie = await database_sync_to_async(self.guest_cookie)(self.room, "Gus")
        # One trusted proxy: the right-most entry is the address it saw; "6.6.6.6" is forged.
        ws = await self.open(cookie, forwarded_for="6.6.6.6, 203.0.113.7")
        me = (await self.joined(ws))["participant"]["id"]
        participant = await Participant.objects.aget(pk=me)
        self.assertEqual(participant.client_address, "203.0.113.7")
        await ws.close()

    def test_one_process_serves_and_stops_on_sigterm(self) -> None:
        children = open(f"/proc/{self.web.proc.pid}/task/{self.web.proc.pid}/children").read().split()
        self.assertEqual(children, [], "no worker process: the pid a supervisor knows serves")
        self.web.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.web.proc.wait(15), 0)
