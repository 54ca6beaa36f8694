"""Signaling consumer over the real ASGI stack (origin check, sessions) and real Redis."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, TransactionTestCase, override_settings

from conference import protocol
from conference.asgi import application
from conference.testing import make_users, reset_channel_layers
from rooms.models import ChatMessage, Participant, Room

TIMEOUT = 10  # generous: the suite shares 2 cores with browsers and workers


class ConsumerTestCase(TransactionTestCase):
    def setUp(self) -> None:
        reset_channel_layers()
        make_users(self)
        self.communicators: list[WebsocketCommunicator] = []

    async def close_all(self) -> None:
        """Always disconnect, in the test's own event loop."""
        for c in self.communicators:
            try:
                await c.disconnect(timeout=TIMEOUT)
            except Exception:  # already closed by the server
                pass

    def cookie_for(self, user: Any) -> str:
        client = Client()  # one per user: logging in another user on a client ends the first session
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    def guest_cookie(self, room: Room, name: str) -> str:
        client = Client()
        client.post(room.get_absolute_url(), {"name": name})
        return f"sessionid={client.cookies['sessionid'].value}"

    def communicator(
        self, cookie: str = "", origin: str = "http://localhost", slug: str = ""
    ) -> WebsocketCommunicator:
        headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        c = WebsocketCommunicator(application, f"/ws/rooms/{slug or self.room.slug}/", headers=headers)
        self.communicators.append(c)
        return c

    async def receive_type(
        self, c: WebsocketCommunicator, kind: str, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """Next message of a type, skipping others (presence, media notices)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no '{kind}' message within {timeout} s")
            message = json.loads(await c.receive_from(timeout=left))
            if message["type"] == kind:
                return message

    async def joined(self, cookie: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
        c = self.communicator(cookie)
        connected, _ = await c.connect(timeout=TIMEOUT)
        self.assertTrue(connected)
        await c.send_to(text_data=json.dumps({"type": "join"}))
        return c, await self.receive_type(c, "joined")


def closing(test: Any) -> Any:
    """Wrap an async test so its communicators are disconnected whatever happens."""

    @functools.wraps(test)
    async def wrapper(self: ConsumerTestCase) -> None:
        try:
            await test(self)
        finally:
            await self.close_all()

    return wrapper


class RefusalTestCase(ConsumerTestCase):
    @closing
    async def test_anonymous_refused(self) -> None:
        connected, _ = await self.communicator().connect(timeout=TIMEOUT)
        self.assertFalse(connected)

    @closing
    async def test_wrong_origin_refused(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        connected, _ = await self.communicator(cookie, origin="http://evil.example").connect(timeout=TIMEOUT)
        self.assertFalse(connected)

    @closing
    async def test_non_member_refused_and_nothing_recorded(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.charlie)
        connected, _ = await self.communicator(cookie).connect(timeout=TIMEOUT)
        self.assertFalse(connected)
        self.assertEqual(await Participant.objects.acount(), 0)

    @closing
    async def test_unknown_room_refused(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        connected, _ = await self.communicator(cookie, slug="no-such-room").connect(timeout=TIMEOUT)
        self.assertFalse(connected)

    @closing
    async def test_locked_room_closes_with_code(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(locked=True)
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        c = self.communicator(cookie)
        self.assertTrue((await c.connect(timeout=TIMEOUT))[0])
        await c.send_to(text_data=json.dumps({"type": "join"}))
        error = await self.receive_type(c, "error")
        self.assertEqual(error["code"], "locked")
        self.assertIn("locked", error["message"])
        out = await c.receive_output(timeout=TIMEOUT)
        self.assertEqual(out, {"type": "websocket.close", "code": protocol.CLOSE_LOCKED})
        self.assertEqual(await Participant.objects.acount(), 0)


class BadInputTestCase(ConsumerTestCase):
    @closing
    async def test_each_bad_message_gets_an_error_and_the_connection_keeps_working(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        c, _ = await self.joined(cookie)
        cases = [
            ("{not json", "bad-json"),
            ("[1, 2]", "invalid"),
            (json.dumps({"type": "teleport"}), "unknown-type"),
            (json.dumps({"type": "chat"}), "invalid"),
            (json.dumps({"type": "chat", "text": 5}), "invalid"),
            (json.dumps({"type": "chat", "text": "hi", "extra": 1}), "invalid"),
            (json.dumps({"type": "publish-offer", "sdp": "hello"}), "bad-sdp"),
            (json.dumps({"type": "ice", "pc": "sideways", "candidate": None}), "invalid"),
            (json.dumps({"type": "moderate", "action": "explode"}), "invalid"),
            (json.dumps({"type": "visible", "participants": 3}), "invalid"),
            (json.dumps({"type": "visible", "participants": [1, "2"]}), "invalid"),
            (json.dumps({"type": "visible", "participants": [True]}), "invalid"),
            (json.dumps({"type": "visible", "participants": list(range(101))}), "invalid"),
            (json.dumps({"type": "chat", "text": "x" * (settings.WS_MAX_MESSAGE_BYTES + 1)}), "too-large"),
            (json.dumps({"type": "join"}), "already-joined"),
            (json.dumps({"type": "moderate", "action": "lock"}), "not-allowed"),
        ]
        for text, code in cases:
            await c.send_to(text_data=text)
            error = await self.receive_type(c, "error")
            self.assertEqual(error["code"], code, text[:60])
            self.assertFalse(error["fatal"])
            self.assertTrue(error["message"])
        # Still works.
        await c.send_to(text_data=json.dumps({"type": "chat", "text": "still here"}))
        chat = await self.receive_type(c, "chat")
        self.assertEqual(chat["message"]["text"], "still here")

    @closing
    async def test_messages_before_join_are_refused(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        c = self.communicator(cookie)
        await c.connect(timeout=TIMEOUT)
        await c.send_to(text_data=json.dumps({"type": "chat", "text": "hi"}))
        self.assertEqual((await self.receive_type(c, "error"))["code"], "not-joined")
        self.assertEqual(await ChatMessage.objects.acount(), 0)

    @override_settings(WS_RATE_PER_SECOND=1, WS_RATE_BURST=5, WS_FLOOD_CLOSE_AFTER=20)
    @closing
    async def test_flood_is_throttled_then_closed(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        c, _ = await self.joined(cookie)
        for i in range(40):
            await c.send_to(text_data=json.dumps({"type": "chat", "text": f"spam {i}"}))
        codes = []
        while True:
            out = await c.receive_output(timeout=TIMEOUT)
            if out["type"] == "websocket.close":
                self.assertEqual(out["code"], protocol.CLOSE_FLOOD)
                break
            message = json.loads(out["text"])
            if message["type"] == "error":
                codes.append(message["code"])
        self.assertIn("rate-limited", codes)
        self.assertEqual(codes[-1], "flood")
        # The burst got through (and was stored), the rest did not.
        self.assertLessEqual(await ChatMessage.objects.acount(), 6)
        self.assertGreaterEqual(await ChatMessage.objects.acount(), 4)


class ChatAndPresenceTestCase(ConsumerTestCase):
    @closing
    async def test_chat_reaches_the_other_participant_and_is_stored(self) -> None:
        alice_cookie = await database_sync_to_async(self.cookie_for)(self.alice)
        bob_cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        a, a_joined = await self.joined(alice_cookie)
        self.assertTrue(a_joined["participant"]["is_host"])
        b, b_joined = await self.joined(bob_cookie)
        self.assertEqual([p["name"] for p in b_joined["participants"]], ["Alice"])
        self.assertEqual((await self.receive_type(a, "participant-joined"))["participant"]["name"], "Bob")
        await b.send_to(text_data=json.dumps({"type": "chat", "text": "hello Alice"}))
        got = await self.receive_type(a, "chat")
        self.assertEqual((got["message"]["author"], got["message"]["text"]), ("Bob", "hello Alice"))
        stored = await ChatMessage.objects.aget()
        self.assertEqual(stored.text, "hello Alice")
        # A late joiner gets the history.
        guest_room = self.room
        await Room.objects.filter(pk=guest_room.pk).aupdate(access=Room.Access.LINK)
        guest_cookie = await database_sync_to_async(self.guest_cookie)(guest_room, "Gus")
        g, g_joined = await self.joined(guest_cookie)
        self.assertEqual([m["text"] for m in g_joined["chat"]], ["hello Alice"])
        self.assertEqual(g_joined["participant"]["name"], "Gus")
        # Leave tells the others.
        await b.send_to(text_data=json.dumps({"type": "leave"}))
        left = await self.receive_type(a, "participant-left")
        self.assertEqual((left["participant"], left["reason"]), (b_joined["participant"]["id"], "left"))

    @closing
    async def test_host_removes_and_mutes(self) -> None:
        a, _ = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
        b, b_joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
        bob_id = b_joined["participant"]["id"]
        await a.send_to(text_data=json.dumps({"type": "moderate", "action": "mute", "participant": bob_id}))
        self.assertEqual((await self.receive_type(b, "muted-by-host"))["by"], "Alice")
        state = await self.receive_type(a, "media-state")
        self.assertEqual((state["participant"], state["audio"]), (bob_id, False))
        await a.send_to(text_data=json.dumps({"type": "moderate", "action": "remove", "participant": bob_id}))
        self.assertEqual((await self.receive_type(b, "error"))["code"], "removed")
        left = await self.receive_type(a, "participant-left")
        self.assertEqual((left["participant"], left["reason"]), (bob_id, "removed"))
        # Lock: everyone hears it.
        await a.send_to(text_data=json.dumps({"type": "moderate", "action": "lock"}))
        self.assertTrue((await self.receive_type(a, "room-state"))["locked"])

    @closing
    async def test_disconnect_records_leave_and_ends_meeting(self) -> None:
        a, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
        await a.disconnect()
        self.communicators.remove(a)
        p = await Participant.objects.select_related("meeting").aget(pk=joined["participant"]["id"])
        self.assertEqual(p.left_reason, "disconnected")
        self.assertIsNotNone(p.meeting.ended_at)
