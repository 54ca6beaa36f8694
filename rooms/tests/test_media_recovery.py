"""The consumer's side of media recovery, with heartbeats in real Redis and no SFU process: the
SFU's commands are read from its channel by the test, its replies sent to the consumer's."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from unittest import mock

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import override_settings

from conference import protocol
from rooms import consumer_media
from rooms.models import Meeting, Participant
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing
from sfu import placement
from sfu.heartbeat import delete_heartbeat, write_heartbeat


@override_settings(SFU_HEARTBEAT_SECONDS=0.2, SFU_WORKER_TTL_SECONDS=60)
class MediaRecoveryTestCase(ConsumerTestCase):
    async def beat(self, worker: str, started_at: float) -> None:
        beat = protocol.sfu_heartbeat(worker_id=worker, load=0, started_at=started_at)
        await write_heartbeat(placement.redis_client(), beat)
        self.workers.append(worker)

    async def cleanup(self) -> None:
        for worker in self.workers:
            await delete_heartbeat(placement.redis_client(), worker)

    async def command(self, worker: str, kind: str) -> dict[str, Any]:
        """The next command of a type the consumer sent to the worker's channel."""
        layer = get_channel_layer()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            message = await asyncio.wait_for(layer.receive(protocol.sfu_channel(worker)), TIMEOUT)
            if message["type"] == kind:
                return message
        raise AssertionError(f"no {kind} on {worker}")

    async def meeting_of(self, participant: int) -> Meeting:
        return await Meeting.objects.aget(participants__id=participant)

    async def setup_two_workers(self) -> tuple[str, str]:
        self.workers: list[str] = []
        stamp = f"{time.time():.6f}"
        first, second = f"rec-a-{stamp}", f"rec-b-{stamp}"
        await self.beat(first, 1.0)  # the earliest started wins ties: the meeting goes here
        await self.beat(second, 2.0)
        return first, second

    @closing
    async def test_a_dead_workers_meeting_moves_on_the_same_socket(self) -> None:
        first, second = await self.setup_two_workers()
        try:
            alice, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
            bob, _ = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
            me = joined["participant"]["id"]
            self.assertEqual((await self.meeting_of(me)).sfu_worker, first)
            for _ in range(2):
                await self.command(first, "sfu.join")

            # The worker dies: no goodbye, its heartbeat disappears (here at once, not after the TTL).
            await delete_heartbeat(placement.redis_client(), first)
            for c in (alice, bob):
                restart = await self.receive_type(c, "media-restart")
                self.assertIn("reconnecting", restart["message"])
            meeting = await self.meeting_of(me)
            self.assertEqual((meeting.sfu_worker, meeting.ended_at), (second, None))
            joins = {(await self.command(second, "sfu.join"))["participant"] for _ in range(2)}
            self.assertEqual(joins, set(await self.present(meeting)))
            # Both are told to the stalled-or-dead worker to leave, in case it was only stalled.
            self.assertEqual((await self.command(first, "sfu.leave"))["type"], "sfu.leave")
            await alice.send_to(text_data=json.dumps(protocol.client_chat(text="still the same meeting")))
            self.assertEqual(
                (await self.receive_type(bob, "chat"))["message"]["text"], "still the same meeting"
            )
        finally:
            await self.cleanup()

    async def present(self, meeting: Meeting) -> list[int]:
        return [p.id async for p in Participant.objects.filter(meeting=meeting, left_at__isnull=True)]

    @closing
    async def test_connection_lost_records_the_leave_and_closes(self) -> None:
        first, _ = await self.setup_two_workers()
        try:
            alice, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
            bob, _ = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
            me = joined["participant"]["id"]
            # A former worker's word is ignored; the current one's is not.
            layer = get_channel_layer()
            participant = await Participant.objects.aget(pk=me)
            stale = protocol.sfu_closed(participant=me, reason="connection-lost", worker="some-other-worker")
            await layer.send(participant.channel_name, dict(stale))
            await alice.send_to(text_data=json.dumps(protocol.client_chat(text="still here")))
            await self.receive_type(bob, "chat")
            lost = protocol.sfu_closed(participant=me, reason="connection-lost", worker=first)
            await layer.send(participant.channel_name, dict(lost))
            out = await alice.receive_output(timeout=TIMEOUT)
            while out["type"] != "websocket.close":
                out = await alice.receive_output(timeout=TIMEOUT)
            self.assertEqual(out["code"], protocol.CLOSE_MEDIA_LOST)
            left = await self.receive_type(bob, "participant-left")
            self.assertEqual((left["participant"], left["reason"]), (me, "disconnected"))
            await participant.arefresh_from_db()
            self.assertEqual(participant.left_reason, "disconnected")
            self.assertIsNone((await self.meeting_of(me)).ended_at)  # Bob is still there
            self.communicators.remove(alice)
        finally:
            await self.cleanup()

    @closing
    async def test_media_restart_request_rejoins_the_same_worker(self) -> None:
        first, _ = await self.setup_two_workers()
        try:
            alice, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
            me = joined["participant"]["id"]
            await self.command(first, "sfu.join")
            request = json.dumps(protocol.client_media_restart_request())
            await alice.send_to(text_data=request)  # too soon after the join
            self.assertEqual((await self.receive_type(alice, "error"))["code"], "rate-limited")
            with mock.patch.object(consumer_media, "MEDIA_RESTART_MIN_INTERVAL", 0.0):
                await alice.send_to(text_data=request)
                await self.receive_type(alice, "media-restart")
            self.assertEqual((await self.command(first, "sfu.join"))["participant"], me)
            self.assertEqual((await self.meeting_of(me)).sfu_worker, first)
        finally:
            await self.cleanup()
