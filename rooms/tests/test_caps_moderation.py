"""Caps (room size, guests per address) and moderation that holds: a host's mute until the host
allows unmuting, a removal until a host lets the person back in."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from conference import protocol
from rooms import selectors
from rooms.models import Participant, Room
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing


class CapsCase(ConsumerTestCase):
    async def open(self, cookie: str, address: str = "") -> WebsocketCommunicator:
        c = self.communicator(cookie)
        if address:  # as the load balancer in front (TRUSTED_PROXY_HOPS=1) says
            c.scope["headers"].append((b"x-forwarded-for", address.encode()))
        self.assertTrue((await c.connect(timeout=TIMEOUT))[0])
        await c.send_to(text_data=json.dumps(protocol.client_join()))
        return c

    async def join(self, user: Any) -> tuple[WebsocketCommunicator, dict[str, Any]]:
        c = await self.open(await database_sync_to_async(self.cookie_for)(user))
        return c, await self.receive_type(c, "joined")

    async def refused(self, c: WebsocketCommunicator, code: str, close: int) -> dict[str, Any]:
        error = await self.receive_type(c, "error")
        self.assertEqual((error["code"], error["fatal"]), (code, True))
        self.assertEqual(await c.receive_output(timeout=TIMEOUT), {"type": "websocket.close", "code": close})
        return error

    async def send(self, c: WebsocketCommunicator, message: dict[str, Any]) -> None:
        await c.send_to(text_data=json.dumps(message))


class CapsTestCase(CapsCase):
    @closing
    async def test_a_room_says_it_is_full(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(max_participants=1)
        await self.join(self.alice)
        bob = await self.open(await database_sync_to_async(self.cookie_for)(self.bob))
        error = await self.refused(bob, "room-full", protocol.CLOSE_ROOM_FULL)
        self.assertIn("full (1 people)", error["message"])
        self.assertIn(protocol.CLOSE_ROOM_FULL, protocol.FINAL_CLOSE_CODES)
        self.assertFalse(await Participant.objects.filter(user=self.bob).aexists())

    @override_settings(ROOM_MAX_PARTICIPANTS=2)
    @closing
    async def test_the_setting_is_the_default_and_a_room_may_raise_it(self) -> None:
        await self.join(self.alice)
        await self.join(self.bob)
        charlie_room_member = await database_sync_to_async(self.make_member)("dora")
        dora = await self.open(await database_sync_to_async(self.cookie_for)(charlie_room_member))
        await self.refused(dora, "room-full", protocol.CLOSE_ROOM_FULL)
        await Room.objects.filter(pk=self.room.pk).aupdate(max_participants=3)
        self.room = await Room.objects.aget(pk=self.room.pk)
        await self.join(charlie_room_member)

    def make_member(self, username: str) -> Any:
        from accounts import services as account_services
        from accounts.models import Membership

        user = account_services.create_user(
            username=username, password="password", display_name=username.title()
        )
        Membership.objects.create(organization=self.org, user=user, role=Membership.Role.MEMBER)
        return user

    @override_settings(MEETING_GUESTS_PER_ADDRESS=2, TRUSTED_PROXY_HOPS=1)
    @closing
    async def test_guests_per_address_are_capped(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(access=Room.Access.LINK)
        cookies = [await database_sync_to_async(self.guest_cookie)(self.room, f"Guest {i}") for i in range(4)]
        for cookie in cookies[:2]:
            c = await self.open(cookie, "203.0.113.7")
            await self.receive_type(c, "joined")
        third = await self.open(cookies[2], "203.0.113.7")
        error = await self.refused(third, "room-full", protocol.CLOSE_ROOM_FULL)
        self.assertIn("from your network", error["message"])
        other = await self.open(cookies[3], "198.51.100.9")  # another address is fine
        await self.receive_type(other, "joined")
        await self.join(self.bob)  # and members are not counted against guests

    @closing
    async def test_one_guest_session_holds_one_place(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(access=Room.Access.LINK)
        cookie = await database_sync_to_async(self.guest_cookie)(self.room, "Gus")
        tabs = [await self.open(cookie) for _ in range(3)]
        ids = {(await self.receive_type(t, "joined"))["participant"]["id"] for t in tabs}
        self.assertEqual(len(ids), 1)
        self.assertEqual(await Participant.objects.filter(left_at__isnull=True).acount(), 1)


class ModerationTestCase(CapsCase):
    @closing
    async def test_a_host_mute_holds_until_the_host_allows_unmuting(self) -> None:
        alice, _ = await self.join(self.alice)
        bob, bobs = await self.join(self.bob)
        bob_id = bobs["participant"]["id"]
        await self.send(alice, protocol.client_moderate(action="mute", participant=bob_id))
        await self.receive_type(bob, "muted-by-host")
        await self.send(bob, protocol.client_media_state(audio=True, video=True, screen=False))
        error = await self.receive_type(bob, "error")
        self.assertEqual(error["code"], "not-allowed")
        self.assertIn("Ask to unmute", error["message"])
        p = await Participant.objects.aget(pk=bob_id)
        self.assertEqual((p.audio, p.host_muted), (False, True))
        # Bob asks; only hosts hear of it.
        await self.send(bob, protocol.client_ask_unmute())
        request = await self.receive_type(alice, "unmute-request")
        self.assertEqual((request["participant"], request["name"]), (bob_id, "Bob"))
        # A non-host cannot allow it.
        await self.send(bob, protocol.client_moderate(action="allow-unmute", participant=bob_id))
        self.assertEqual((await self.receive_type(bob, "error"))["code"], "not-allowed")
        await self.send(alice, protocol.client_moderate(action="allow-unmute", participant=bob_id))
        allowed = await self.receive_type(bob, "unmute-allowed")
        self.assertEqual(allowed["by"], "Alice")
        await self.send(bob, protocol.client_media_state(audio=True, video=True, screen=False))
        state = await self.receive_type(alice, "media-state")
        self.assertEqual((state["participant"], state["audio"]), (bob_id, True))

    @closing
    async def test_asking_without_a_host_mute_is_refused(self) -> None:
        bob, _ = await self.join(self.bob)
        await self.send(bob, protocol.client_ask_unmute())
        self.assertEqual((await self.receive_type(bob, "error"))["code"], "invalid")

    @closing
    async def test_a_removed_person_stays_out_until_a_host_lets_them_back_in(self) -> None:
        alice, _ = await self.join(self.alice)
        bob, bobs = await self.join(self.bob)
        bob_id = bobs["participant"]["id"]
        await self.send(alice, protocol.client_moderate(action="remove", participant=bob_id))
        await self.refused(bob, "removed", protocol.CLOSE_REMOVED)
        again = await self.open(await database_sync_to_async(self.cookie_for)(self.bob))
        error = await self.refused(again, "removed", protocol.CLOSE_REMOVED)
        self.assertIn("host can let you back in", error["message"])
        # A host who joins (or rejoins) sees whom they may let back in.
        alice2, alices = await self.join(self.alice)
        await self.receive_type(alice, "error")  # alice's first tab was taken over
        self.assertEqual(alices["removed"], [{"id": bob_id, "name": "Bob"}])
        meeting = await Participant.objects.select_related("meeting").aget(pk=bob_id)
        self.assertFalse(await database_sync_to_async(selectors.can_view_meeting)(self.bob, meeting.meeting))
        await self.send(alice2, protocol.client_moderate(action="readmit", participant=bob_id))
        self.assertEqual((await self.receive_type(alice2, "readmitted"))["participant"], bob_id)
        _, back = await self.join(self.bob)
        self.assertNotEqual(back["participant"]["id"], bob_id)  # a new place
        self.assertTrue(await database_sync_to_async(selectors.can_view_meeting)(self.bob, meeting.meeting))

    @closing
    async def test_only_hosts_readmit_and_only_the_removed(self) -> None:
        alice, _ = await self.join(self.alice)
        bob, bobs = await self.join(self.bob)
        await self.send(
            bob, protocol.client_moderate(action="readmit", participant=bobs["participant"]["id"])
        )
        self.assertEqual((await self.receive_type(bob, "error"))["code"], "not-allowed")
        await self.send(
            alice, protocol.client_moderate(action="readmit", participant=bobs["participant"]["id"])
        )
        error = await self.receive_type(alice, "error")
        self.assertEqual(error["code"], "invalid")
        self.assertIn("not removed", error["message"])
        self.assertEqual(bobs["removed"], [])  # non-hosts never see the list
