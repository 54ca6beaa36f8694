"""The consumer forwards group events only through protocol.RELAY (real ASGI stack and Redis)."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from conference import protocol
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing


class RelayTestCase(ConsumerTestCase):
    @closing
    async def test_unknown_group_event_is_not_forwarded_and_the_connection_keeps_working(self) -> None:
        c, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
        group = protocol.room_group(self.room.id)
        await get_channel_layer().group_send(group, {"type": "room.teleport", "secret": "internal"})
        await c.send_to(text_data=json.dumps(protocol.client_chat(text="after the bogus event")))
        # The very next frame is the chat: nothing was made of the unknown event.
        frame = json.loads(await c.receive_from(timeout=TIMEOUT))
        self.assertEqual((frame["type"], frame["message"]["text"]), ("chat", "after the bogus event"))

    @closing
    async def test_group_event_fields_outside_the_protocol_are_not_forwarded(self) -> None:
        c, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
        event = {**protocol.room_state(locked=True), "secret": "internal"}
        await get_channel_layer().group_send(protocol.room_group(self.room.id), event)
        frame = json.loads(await c.receive_from(timeout=TIMEOUT))
        self.assertEqual(frame, {"type": "room-state", "locked": True})
