"""A join while every SFU worker is at its capacity: chat only, and the person is told why."""

from __future__ import annotations

import json
import time

from conference import protocol
from rooms.consumer_media import NO_MEDIA_SERVER, SERVERS_FULL
from rooms.models import Meeting
from rooms.tests.test_consumer import TIMEOUT, closing
from rooms.tests.test_presence import PresenceCase
from sfu import heartbeat, placement


class FullWorkersTests(PresenceCase):
    async def announce(self, worker_id: str, streams: int, capacity: int) -> None:
        beat = protocol.sfu_heartbeat(
            worker_id=worker_id, load=3, started_at=time.time(), streams=streams, capacity=capacity
        )
        await heartbeat.write_heartbeat(placement.redis_client(), beat)

    @closing
    async def test_every_worker_at_capacity_means_chat_only_with_the_reason(self) -> None:
        await self.announce("at-capacity", 300, 300)
        try:
            c, joined = await self.join(self.bob)
            self.assertEqual((joined["media"], joined["media_message"]), (False, SERVERS_FULL))
            self.assertEqual((await Meeting.objects.aget()).sfu_worker, "")  # not placed there
            await c.send_to(text_data=json.dumps(protocol.client_chat(text="still here")))
            self.assertEqual((await self.receive_type(c, "chat"))["message"]["text"], "still here")
            await c.disconnect(timeout=TIMEOUT)
        finally:
            await heartbeat.delete_heartbeat(placement.redis_client(), "at-capacity")

    @closing
    async def test_no_worker_at_all_is_said_differently(self) -> None:
        c, joined = await self.join(self.bob)
        self.assertEqual((joined["media"], joined["media_message"]), (False, NO_MEDIA_SERVER))
        await c.disconnect(timeout=TIMEOUT)
