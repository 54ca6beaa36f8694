"""A meeting moves to another SFU worker when its worker shuts down (real runsfu processes)."""

from __future__ import annotations

import asyncio
import json
import os

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conference.testing.processes import WorkerProcess
from rooms.models import Meeting
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing


class SfuFailoverTestCase(ConsumerTestCase):
    def start_worker(self, worker_id: str) -> WorkerProcess:
        w = WorkerProcess.manage(
            worker_id,
            "runsfu",
            "--worker-id",
            worker_id,
            env={"SFU_HOST_ADDRESSES": "127.0.0.1", "SFU_HEARTBEAT_SECONDS": "0.5"},
            ready=rf"SFU worker {worker_id} ready",
        ).start()
        self.addCleanup(w.stop)
        w.wait_ready(30)
        return w

    async def meeting_worker(self, meeting_id: int, expected: str = "") -> str:
        """The meeting's worker, once it is ``expected`` (or any, when not given)."""
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            worker = (await Meeting.objects.aget(pk=meeting_id)).sfu_worker
            if (
                worker == expected
                or (worker and not expected)
                or asyncio.get_running_loop().time() > deadline
            ):
                return worker
            await asyncio.sleep(0.05)

    @closing
    async def test_sigterm_moves_meeting_to_another_worker(self) -> None:
        suffix = f"{os.getpid()}"
        a = await asyncio.to_thread(self.start_worker, f"fa-{suffix}")
        alice, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
        self.assertEqual((joined["media"], joined["media_message"]), (True, ""))
        meeting_id = (await Meeting.objects.aget(participants__id=joined["participant"]["id"])).id
        self.assertEqual(await self.meeting_worker(meeting_id), f"fa-{suffix}")
        # A second participant lands on the same worker, whatever the load.
        bob, _ = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
        await asyncio.to_thread(self.start_worker, f"fb-{suffix}")
        self.assertEqual(await self.meeting_worker(meeting_id), f"fa-{suffix}")

        await asyncio.to_thread(a.stop)
        for c in (alice, bob):
            restart = await self.receive_type(c, "media-restart")
            self.assertIn("restarting", restart["message"])
        self.assertEqual(await self.meeting_worker(meeting_id, f"fb-{suffix}"), f"fb-{suffix}")
        # Still in the same meeting, and signaling still works.
        await alice.send_to(text_data=json.dumps({"type": "chat", "text": "still here"}))
        self.assertEqual((await self.receive_type(bob, "chat"))["message"]["text"], "still here")
        self.assertIsNone((await Meeting.objects.aget(pk=meeting_id)).ended_at)

    @closing
    async def test_no_live_worker_means_chat_only(self) -> None:
        c: WebsocketCommunicator
        c, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
        # Placement comes before `joined`, which says there is no media (no media-unavailable after it).
        self.assertFalse(joined["media"])
        self.assertIn("chat works", joined["media_message"])
        await c.send_to(text_data=json.dumps({"type": "publish-offer", "sdp": "v=0\r\n"}))
        self.assertEqual((await self.receive_type(c, "error"))["code"], "media-unavailable")
        # Nothing contradicted `joined` meanwhile: the next frame answers the next message.
        await c.send_to(text_data=json.dumps({"type": "chat", "text": "chat works"}))
        self.assertEqual(json.loads(await c.receive_from(timeout=TIMEOUT))["type"], "chat")
