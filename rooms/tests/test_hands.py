"""Raised hands (queued in the order raised, visible to everyone, a host lowers anyone's) and
reactions (only the listed emoji are relayed), through the real RoomConsumer."""

from __future__ import annotations

from channels.db import database_sync_to_async

from accounts import services as account_services
from accounts.models import Membership, User
from conference import protocol
from rooms.models import Participant
from rooms.tests.test_caps_moderation import CapsCase
from rooms.tests.test_consumer import closing
from rooms.validation import ProtocolError, parse_client_message


class HandsTestCase(CapsCase):
    def member(self, username: str) -> User:
        user = account_services.create_user(username=username, password="password", display_name="Dora")
        Membership.objects.create(organization=self.org, user=user, role=Membership.Role.MEMBER)
        return user

    @closing
    async def test_hands_queue_in_the_order_raised_and_everyone_sees_them(self) -> None:
        alice, _ = await self.join(self.alice)
        bob, bobs = await self.join(self.bob)
        bob_id = bobs["participant"]["id"]
        self.assertIsNone(bobs["participant"]["hand_raised_at"])
        await self.send(bob, protocol.client_hand(raised=True))
        up = await self.receive_type(alice, "hand")
        self.assertEqual((up["participant"], up["raised"], up["by"]), (bob_id, True, ""))
        first_at = up["at"]
        await self.receive_type(bob, "hand")  # the raiser hears it too
        # Raising it again keeps its place (same time), and says nothing new.
        await self.send(bob, protocol.client_hand(raised=True))
        p = await Participant.objects.aget(pk=bob_id)
        self.assertEqual(p.hand_raised_at.isoformat(), first_at)
        # A newcomer gets the queue with the meeting.
        _, doras = await self.join(await database_sync_to_async(self.member)("dora"))
        others = {o["id"]: o for o in doras["participants"]}
        self.assertEqual(others[bob_id]["hand_raised_at"], first_at)
        # Bob lowers his own hand.
        await self.send(bob, protocol.client_hand(raised=False))
        down = await self.receive_type(alice, "hand")
        self.assertEqual(
            (down["participant"], down["raised"], down["at"], down["by"]), (bob_id, False, None, "")
        )

    @closing
    async def test_a_host_lowers_a_hand_and_others_may_not(self) -> None:
        alice, alices = await self.join(self.alice)
        bob, bobs = await self.join(self.bob)
        alice_id, bob_id = alices["participant"]["id"], bobs["participant"]["id"]
        await self.send(alice, protocol.client_hand(raised=True))
        await self.receive_type(bob, "hand")
        # Bob is no host: he can neither lower Alice's hand nor raise it for her.
        await self.send(bob, protocol.client_hand(raised=False, participant=alice_id))
        self.assertEqual((await self.receive_type(bob, "error"))["code"], "not-allowed")
        await self.send(bob, protocol.client_hand(raised=True))
        self.assertTrue((await self.receive_type(bob, "hand"))["raised"])
        await self.send(alice, protocol.client_hand(raised=False, participant=bob_id))
        down = await self.receive_type(bob, "hand")
        self.assertEqual((down["participant"], down["raised"], down["by"]), (bob_id, False, "Alice"))
        self.assertIsNone((await Participant.objects.aget(pk=bob_id)).hand_raised_at)
        self.assertIsNotNone((await Participant.objects.aget(pk=alice_id)).hand_raised_at)

    @closing
    async def test_reactions_reach_everyone_and_unknown_ones_are_refused(self) -> None:
        alice, _ = await self.join(self.alice)
        bob, bobs = await self.join(self.bob)
        await self.send(bob, protocol.client_reaction(emoji="👏"))
        reaction = await self.receive_type(alice, "reaction")
        self.assertEqual(
            (reaction["participant"], reaction["name"], reaction["emoji"]),
            (bobs["participant"]["id"], "Bob", "👏"),
        )
        await self.send(bob, {"type": "reaction", "emoji": "<b>spam</b>"})
        error = await self.receive_type(bob, "error")
        self.assertEqual(error["code"], "invalid")
        self.assertIn("👍", error["message"])  # says which ones there are

    def test_hand_messages_are_validated(self) -> None:
        with self.assertRaises(ProtocolError):
            parse_client_message('{"type": "hand"}')
        with self.assertRaises(ProtocolError):
            parse_client_message('{"type": "hand", "raised": "yes"}')
        self.assertEqual(
            parse_client_message('{"type": "hand", "raised": false, "participant": 3}')["participant"], 3
        )
