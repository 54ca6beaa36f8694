from django.core.exceptions import PermissionDenied, ValidationError

from conference.testing import BaseTestCase
from rooms import moderation, selectors, services
from rooms.models import ChatMessage, Meeting, Participant, Room


class RoomServiceTestCase(BaseTestCase):
    def test_outsider_cannot_create_a_room(self) -> None:
        with self.assertRaises(PermissionDenied):
            services.create_room(organization=self.org, name="Secret", created_by=self.charlie)

    def test_member_creates_a_room_named_by_its_slug(self) -> None:
        room = services.create_room(organization=self.org, name="Design review", created_by=self.bob)
        self.assertTrue(room.slug.startswith("design-review"))

    def test_slugs_are_unique(self) -> None:
        a = services.create_room(organization=self.org, name="Sync", created_by=self.bob)
        b = services.create_room(organization=self.org, name="Sync", created_by=self.bob)
        self.assertNotEqual(a.slug, b.slug)

    def test_members_room_admits_members_only(self) -> None:
        self.assertTrue(selectors.can_enter_room(self.bob, self.room))
        self.assertFalse(selectors.can_enter_room(self.charlie, self.room))
        self.assertFalse(selectors.can_enter_room(None, self.room, guest_name="Gus"))

    def test_link_room_admits_anyone_with_a_name(self) -> None:
        self.room.access = Room.Access.LINK
        self.room.save()
        self.assertTrue(selectors.can_enter_room(self.charlie, self.room))
        self.assertTrue(selectors.can_enter_room(None, self.room, guest_name="Gus"))
        self.assertFalse(selectors.can_enter_room(None, self.room, guest_name=""))

    def test_the_owners_room_is_hosted_by_the_owner_only(self) -> None:
        self.assertTrue(selectors.is_room_host(self.alice, self.room))  # creator and owner
        self.assertFalse(selectors.is_room_host(self.bob, self.room))

    def test_a_members_room_is_hosted_by_its_creator_and_the_owner(self) -> None:
        bob_room = services.create_room(organization=self.org, name="Bob's", created_by=self.bob)
        self.assertTrue(selectors.is_room_host(self.bob, bob_room))
        self.assertTrue(selectors.is_room_host(self.alice, bob_room))  # org owner


class MeetingServiceTestCase(BaseTestCase):
    def alice_and_bob(self) -> tuple[Participant, Participant]:
        return (
            services.join_meeting(room=self.room, user=self.alice),
            services.join_meeting(room=self.room, user=self.bob),
        )

    def test_meeting_starts_with_first_join(self) -> None:
        a, b = self.alice_and_bob()
        self.assertEqual(a.meeting_id, b.meeting_id)
        self.assertTrue(a.is_host)
        self.assertFalse(b.is_host)

    def test_meeting_ends_with_last_leave(self) -> None:
        a, b = self.alice_and_bob()
        self.assertFalse(services.leave_meeting(participant=a))
        self.assertTrue(services.leave_meeting(participant=b))
        meeting = Meeting.objects.get(pk=a.meeting_id)
        self.assertIsNotNone(meeting.ended_at)
        a.refresh_from_db()
        self.assertIsNotNone(a.left_at)
        self.assertGreaterEqual(a.left_at, a.joined_at)

    def test_the_next_join_starts_a_new_meeting(self) -> None:
        a, b = self.alice_and_bob()
        services.leave_meeting(participant=a)
        services.leave_meeting(participant=b)
        c = services.join_meeting(room=self.room, user=self.alice)
        self.assertNotEqual(c.meeting_id, a.meeting_id)

    def test_meeting_without_media_server_completes_its_transcript_at_the_end(self) -> None:
        from transcripts.models import Transcript

        a = services.join_meeting(room=self.room, user=self.alice)
        services.leave_meeting(participant=a)
        self.assertEqual(Transcript.objects.get(meeting_id=a.meeting_id).status, Transcript.Status.COMPLETE)

    def test_meeting_on_an_sfu_waits_for_its_flush(self) -> None:
        from transcripts.models import Transcript

        a = services.join_meeting(room=self.room, user=self.alice)
        services.place_meeting(meeting=a.meeting, worker_id="w1", replacing="")
        services.leave_meeting(participant=a)
        self.assertEqual(Transcript.objects.get(meeting_id=a.meeting_id).status, Transcript.Status.FLUSHING)

    def test_leaving_twice_is_harmless(self) -> None:
        a = services.join_meeting(room=self.room, user=self.alice)
        self.assertTrue(services.leave_meeting(participant=a))
        self.assertFalse(services.leave_meeting(participant=a, reason="disconnected"))

    def test_outsider_and_anonymous_refused(self) -> None:
        with self.assertRaises(services.NotAllowed):
            services.join_meeting(room=self.room, user=self.charlie)
        with self.assertRaises(services.NotAllowed):
            services.join_meeting(room=self.room, user=None, guest_name="Gus")
        self.assertFalse(Meeting.objects.exists())

    def test_guest_joins_link_room(self) -> None:
        self.room.access = Room.Access.LINK
        self.room.save()
        g = services.join_meeting(room=self.room, user=None, guest_name=" Gus ", guest_key="k1")
        self.assertEqual(g.display_name, "Gus")
        self.assertTrue(g.is_guest)
        self.assertFalse(g.is_host)

    def test_locked_room_admits_hosts_only(self) -> None:
        services.set_room_locked(room=self.room, locked=True, by=self.alice)
        with self.assertRaises(services.RoomLocked):
            services.join_meeting(room=self.room, user=self.bob)
        services.join_meeting(room=self.room, user=self.alice)

    def test_only_hosts_unlock_a_room(self) -> None:
        services.set_room_locked(room=self.room, locked=True, by=self.alice)
        with self.assertRaises(PermissionDenied):
            services.set_room_locked(room=self.room, locked=False, by=self.bob)

    def test_meeting_placement_first_writer_wins(self) -> None:
        a = services.join_meeting(room=self.room, user=self.alice)
        self.assertEqual(services.place_meeting(meeting=a.meeting, worker_id="w1", replacing=""), "w1")
        self.assertEqual(services.place_meeting(meeting=a.meeting, worker_id="w2", replacing=""), "w1")
        self.assertEqual(services.place_meeting(meeting=a.meeting, worker_id="w2", replacing="w1"), "w2")


class ChatServiceTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.a = services.join_meeting(room=self.room, user=self.alice)

    def test_chat_is_stored_with_meeting(self) -> None:
        services.post_chat(participant=self.a, text="  hello  ")
        msg = ChatMessage.objects.get()
        self.assertEqual((msg.text, msg.author_name, msg.meeting_id), ("hello", "Alice", self.a.meeting_id))

    def test_blank_chat_is_refused(self) -> None:
        with self.assertRaises(ValidationError):
            services.post_chat(participant=self.a, text="   ")

    def test_overlong_chat_is_refused(self) -> None:
        with self.assertRaises(ValidationError):
            services.post_chat(participant=self.a, text="x" * 5000)

    def test_chat_history_lists_what_was_stored(self) -> None:
        services.post_chat(participant=self.a, text="  hello  ")
        with self.assertRaises(ValidationError):
            services.post_chat(participant=self.a, text="   ")
        with self.assertRaises(ValidationError):
            services.post_chat(participant=self.a, text="x" * 5000)
        self.assertEqual([m.text for m in selectors.chat_history(self.a.meeting, 10)], ["hello"])


class ModerationTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.a = services.join_meeting(room=self.room, user=self.alice)
        self.b = services.join_meeting(room=self.room, user=self.bob)

    def test_a_member_cannot_mute_the_host(self) -> None:
        with self.assertRaises(PermissionDenied):
            moderation.mute_participant(host=self.b, target=self.a)

    def test_the_host_mutes_a_member(self) -> None:
        moderation.mute_participant(host=self.a, target=self.b)
        self.b.refresh_from_db()
        self.assertFalse(self.b.audio)

    def test_the_host_removes_a_member_and_the_meeting_goes_on(self) -> None:
        moderation.remove_participant(host=self.a, target=self.b)
        self.b.refresh_from_db()
        self.assertEqual(self.b.left_reason, "removed")
        self.assertIsNone(Meeting.objects.get(pk=self.a.meeting_id).ended_at)


class RoomViewTestCase(BaseTestCase):
    def test_home_lists_rooms(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get("/")
        self.assertContains(r, "Standup")
        self.assertContains(r, '<label for="id_name">Name</label>', html=True)

    def test_home_creates_a_room(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.post("/rooms/new/", {"name": "Retro", "organization": self.org.id, "access": "link"})
        room = Room.objects.get(name="Retro")
        self.assertRedirects(r, f"/rooms/{room.slug}/", fetch_redirect_response=False)
        self.assertEqual(room.access, "link")

    def test_outsider_cannot_create_in_foreign_org(self) -> None:
        self.client.force_login(self.charlie)
        r = self.client.post("/rooms/new/", {"name": "X", "organization": self.org.id, "access": "members"})
        self.assertEqual(r.status_code, 200)
        self.assertFalse(Room.objects.filter(name="X").exists())

    def test_room_page_sends_anonymous_to_login(self) -> None:
        url = self.room.get_absolute_url()
        self.assertRedirects(
            self.client.get(url), f"/accounts/login/?next={url}", fetch_redirect_response=False
        )

    def test_room_page_refuses_outsiders_like_a_missing_room(self) -> None:
        self.client.force_login(self.charlie)
        hidden = self.client.get(self.room.get_absolute_url())
        missing = self.client.get("/rooms/no-such-room-k3x9abcdefghij/")
        self.assertEqual(hidden.status_code, 404)
        self.assertEqual((hidden.status_code, hidden.content), (missing.status_code, missing.content))

    def test_room_page_serves_members(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.room.get_absolute_url())
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "room-config")

    def test_guest_is_asked_for_a_name(self) -> None:
        self.room.access = Room.Access.LINK
        self.room.save()
        self.assertContains(self.client.get(self.room.get_absolute_url()), "Your name")

    def test_guest_name_is_kept_for_the_room_page(self) -> None:
        self.room.access = Room.Access.LINK
        self.room.save()
        url = self.room.get_absolute_url()
        r = self.client.post(url, {"name": "Gus"})
        self.assertRedirects(r, url, fetch_redirect_response=False)
        self.assertEqual(self.client.session["guest_name"], "Gus")
        self.assertContains(self.client.get(url), "room-config")
