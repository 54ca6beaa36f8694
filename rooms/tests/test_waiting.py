"""Waiting rooms through the real RoomConsumer: people outside the organization wait in the lobby
("The host will let you in soon."), hosts admit or deny each, a denial is final for the meeting,
members never wait and the lock keeps working."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conference import protocol
from rooms.models import Admission, Participant, Room
from rooms.tests.test_caps_moderation import CapsCase
from rooms.tests.test_consumer import TIMEOUT, closing


class WaitingRoomTestCase(CapsCase):
    def setUp(self) -> None:
        super().setUp()
        Room.objects.filter(pk=self.room.pk).update(waiting_room=True, access=Room.Access.LINK)
        self.room.refresh_from_db()

    async def guest(self, name: str) -> WebsocketCommunicator:
        return await self.open(await database_sync_to_async(self.guest_cookie)(self.room, name))

    async def admission(self, host: WebsocketCommunicator, name: str) -> int:
        request = await self.receive_type(host, "admission-request")
        self.assertEqual(request["name"], name)
        return request["admission"]

    async def decide(self, host: WebsocketCommunicator, action: Any, admission: int) -> None:
        await self.send(host, protocol.client_moderate(action=action, participant=admission))

    @closing
    async def test_a_guest_waits_until_a_host_admits_them(self) -> None:
        alice, _ = await self.join(self.alice)
        gus = await self.guest("Gus")
        waiting = await self.receive_type(gus, "waiting")
        self.assertEqual(waiting["message"], "The host will let you in soon.")
        self.assertFalse(await Participant.objects.filter(display_name="Gus").aexists())
        admission = await self.admission(alice, "Gus")
        # A member joining meanwhile never waits; a host joining now sees who waits.
        bob, _ = await self.join(self.bob)
        await self.send(bob, protocol.client_moderate(action="admit", participant=admission))
        self.assertEqual((await self.receive_type(bob, "error"))["code"], "not-allowed")  # hosts only
        await self.decide(alice, "admit", admission)
        joined = await self.receive_type(gus, "joined")
        self.assertEqual(joined["participant"]["name"], "Gus")
        settled = await self.receive_type(alice, "admission-settled")
        self.assertEqual(settled["admission"], admission)
        self.assertEqual((await Admission.objects.aget(pk=admission)).state, "admitted")

    @closing
    async def test_a_denial_is_final_for_the_meeting(self) -> None:
        alice, _ = await self.join(self.alice)
        cookie = await database_sync_to_async(self.guest_cookie)(self.room, "Mallory")
        mallory = await self.open(cookie)
        await self.receive_type(mallory, "waiting")
        await self.decide(alice, "deny", await self.admission(alice, "Mallory"))
        error = await self.refused(mallory, "denied", protocol.CLOSE_DENIED)
        self.assertEqual(error["message"], "Alice did not let you in to this meeting.")
        self.assertIn(protocol.CLOSE_DENIED, protocol.FINAL_CLOSE_CODES)
        again = await self.open(cookie)  # the same guest session tries again: refused at once
        await self.refused(again, "denied", protocol.CLOSE_DENIED)
        self.assertFalse(await Participant.objects.filter(display_name="Mallory").aexists())

    @closing
    async def test_a_host_who_joins_later_sees_who_waits_and_leaving_the_lobby_clears_it(self) -> None:
        gus = await self.guest("Gus")
        await self.receive_type(gus, "waiting")  # nobody is in yet: Gus waits all the same
        alice, joined = await self.join(self.alice)
        self.assertEqual([w["name"] for w in joined["waiting"]], ["Gus"])
        _, bobs = await self.join(self.bob)
        self.assertEqual(bobs["waiting"], [])  # only hosts see the lobby
        await gus.disconnect()
        settled = await self.receive_type(alice, "admission-settled")
        self.assertEqual(settled["admission"], joined["waiting"][0]["id"])
        self.assertEqual((await Admission.objects.aget(pk=settled["admission"])).state, "gone")

    @closing
    async def test_the_lock_still_keeps_everyone_out(self) -> None:
        alice, _ = await self.join(self.alice)
        await self.send(alice, protocol.client_moderate(action="lock"))
        await self.receive_type(alice, "room-state")
        gus = await self.guest("Gus")
        await self.refused(gus, "locked", protocol.CLOSE_LOCKED)
        self.assertFalse(await Admission.objects.aexists())

    @closing
    async def test_without_a_waiting_room_guests_come_straight_in(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(waiting_room=False)
        gus = await self.guest("Gus")
        message = await self.receive_type(gus, "joined", timeout=TIMEOUT)
        self.assertEqual(message["waiting"], [])
