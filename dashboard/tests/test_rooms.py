"""The organization's rooms page: list, settings, archive, delete; permissions and query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import AuditEntry, Membership
from conference.testing import BaseTestCase
from dashboard.generate import generate
from rooms import selectors as room_selectors
from rooms import services as room_services
from rooms.models import ChatMessage, Meeting, Room
from summaries.models import Summary
from transcripts.models import Transcript


class RoomsTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dave = account_services.create_user(username="dave", password="password", display_name="Dave")
        Membership.objects.create(organization=self.org, user=self.dave, role=Membership.Role.ADMIN)
        self.bobs = room_services.create_room(organization=self.org, name="Bob's room", created_by=self.bob)
        self.base = f"/organizations/{self.org.slug}/rooms/"

    def room_url(self, room: Room, tail: str = "") -> str:
        return f"{self.base}{room.id}/{tail}"


class ListTests(RoomsTestCase):
    def test_managers_see_every_room_a_member_their_own_an_outsider_nothing(self) -> None:
        for user, names in (
            (self.alice, {"Standup", "Bob's room"}),
            (self.dave, {"Standup", "Bob's room"}),
            (self.bob, {"Bob's room"}),
        ):
            self.client.force_login(user)
            r = self.client.get(self.base)
            self.assertEqual({room.name for room in r.context["page"]}, names, user)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.base).status_code, 403)

    def test_last_use_and_size_with_bounded_queries(self) -> None:
        self.client.force_login(self.alice)
        with CaptureQueriesContext(connection) as few:
            self.client.get(self.base)
        rooms = [
            Room.objects.create(organization=self.org, name=f"Room {i:02}", slug=f"room-{i}")
            for i in range(30)
        ]
        generate(organization=self.org, users=[self.alice], rooms=[self.room, *rooms], meetings=220)
        with CaptureQueriesContext(connection) as many:
            r = self.client.get(self.base, {"page": 2})
        self.assertEqual(len(many), len(few))
        self.assertLessEqual(len(many), 8)
        listed = {room.name: room for room in self.client.get(self.base).context["page"]}
        standup = listed["Standup"]
        self.assertEqual(standup.meeting_count, Meeting.objects.filter(room=self.room).count())
        self.assertEqual(
            standup.last_used, Meeting.objects.filter(room=self.room).latest("started_at").started_at
        )
        self.assertEqual(r.context["page"].paginator.count, 32)
        self.assertContains(r, "Page 2 of 2")

    def test_search_and_archived(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get(self.base, {"q": "bob"})
        self.assertEqual([room.name for room in r.context["page"]], ["Bob's room"])
        Room.objects.filter(pk=self.bobs.pk).update(archived_at="2026-01-01T00:00Z")
        self.assertEqual([room.name for room in self.client.get(self.base).context["page"]], ["Standup"])
        archived = self.client.get(self.base, {"archived": "1"})
        self.assertEqual([room.name for room in archived.context["page"]], ["Bob's room"])


class SettingsTests(RoomsTestCase):
    def test_rename_access_and_limit_are_saved_and_audited(self) -> None:
        self.client.force_login(self.dave)
        r = self.client.post(
            self.room_url(self.room), {"name": "Daily", "access": "link", "max_participants": "8"}
        )
        self.assertRedirects(r, self.room_url(self.room))
        self.room.refresh_from_db()
        self.assertEqual((self.room.name, self.room.access, self.room.max_participants), ("Daily", "link", 8))
        entry = AuditEntry.objects.get(action=AuditEntry.Action.ROOM_CHANGE)
        self.assertEqual((entry.actor, entry.target), (self.dave, "Daily"))
        self.assertEqual(
            entry.detail,
            {"name": "Standup -> Daily", "access": "members -> link", "max_participants": "None -> 8"},
        )

    def test_the_waiting_room_is_turned_on_and_off_and_audited(self) -> None:
        self.client.force_login(self.dave)
        form = {"name": "Standup", "access": "link", "max_participants": ""}
        self.client.post(self.room_url(self.room), {**form, "waiting_room": "on"})
        self.room.refresh_from_db()
        self.assertTrue(self.room.waiting_room)
        self.assertContains(self.client.get(self.room_url(self.room)), 'id="id_waiting_room" checked')
        self.client.post(self.room_url(self.room), form)  # an unticked box is not sent: off
        self.room.refresh_from_db()
        self.assertFalse(self.room.waiting_room)
        details = [
            e.detail.get("waiting_room")
            for e in AuditEntry.objects.filter(action=AuditEntry.Action.ROOM_CHANGE)
        ]
        self.assertEqual(sorted(details), ["False -> True", "True -> False"])

    def test_a_bad_limit_is_explained_and_nothing_changes(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.post(
            self.room_url(self.room), {"name": "Renamed", "access": "link", "max_participants": "1"}
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "The participant limit is between 2 and 50")
        self.assertContains(r, 'value="Renamed"')  # what was typed stays in the form
        self.room.refresh_from_db()
        self.assertEqual((self.room.name, self.room.access), ("Standup", "members"))
        self.assertFalse(AuditEntry.objects.filter(action=AuditEntry.Action.ROOM_CHANGE).exists())

    def test_a_member_manages_their_own_room_only(self) -> None:
        self.client.force_login(self.bob)
        for url in (self.room_url(self.room), self.room_url(self.room, "delete/")):
            self.assertEqual(self.client.get(url).status_code, 403)
            self.assertEqual(self.client.post(url, {"name": "Mine", "access": "link"}).status_code, 403)
        self.room.refresh_from_db()
        self.assertEqual(self.room.name, "Standup")
        r = self.client.post(
            self.room_url(self.bobs), {"name": "Bob's", "access": "members", "max_participants": ""}
        )
        self.assertRedirects(r, self.room_url(self.bobs))
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.room_url(self.bobs)).status_code, 403)

    def test_a_room_of_another_organization_is_not_found(self) -> None:
        theirs = room_services.create_room(
            organization=self.charlie.organizations.get(), name="Theirs", created_by=self.charlie
        )
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.room_url(theirs)).status_code, 404)


class ArchiveTests(RoomsTestCase):
    def test_archive_shuts_the_room_and_keeps_its_records(self) -> None:
        p = room_services.join_meeting(room=self.room, user=self.alice)
        room_services.leave_meeting(participant=p)
        self.client.force_login(self.alice)
        self.client.post(self.room_url(self.room), {"action": "archive"})
        self.room.refresh_from_db()
        self.assertIsNotNone(self.room.archived_at)
        self.assertFalse(room_selectors.can_enter_room(self.alice, self.room))
        self.assertEqual(self.client.get(self.room.get_absolute_url()).status_code, 404)
        self.assertNotIn(self.room, room_selectors.rooms_for_user(self.alice))
        self.assertEqual(Meeting.objects.filter(room=self.room).count(), 1)
        self.client.post(self.room_url(self.room), {"action": "unarchive"})
        self.room.refresh_from_db()
        self.assertTrue(room_selectors.can_enter_room(self.bob, self.room))
        actions = AuditEntry.objects.filter(action=AuditEntry.Action.ROOM_ARCHIVE).order_by("id")
        self.assertEqual([e.detail for e in actions], [{"archived": True}, {"archived": False}])

    def test_a_room_in_a_meeting_is_not_archived(self) -> None:
        room_services.join_meeting(room=self.room, user=self.alice)
        self.client.force_login(self.alice)
        r = self.client.post(self.room_url(self.room), {"action": "archive"})
        self.assertContains(r, "A meeting is going on in this room")
        self.room.refresh_from_db()
        self.assertIsNone(self.room.archived_at)


class DeleteTests(RoomsTestCase):
    def setUp(self) -> None:
        super().setUp()
        p = room_services.join_meeting(room=self.room, user=self.alice)
        room_services.post_chat(participant=p, text="hi")
        room_services.leave_meeting(participant=p)
        Transcript.objects.get_or_create(meeting=p.meeting)
        Summary.objects.create(meeting=p.meeting, status=Summary.Status.DONE)

    def test_the_confirmation_says_what_goes(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get(self.room_url(self.room, "delete/"))
        for text in (
            "1 meeting and 1 attendance record",
            "1 chat message",
            "1 transcript",
            "1 summary",
            "cannot be undone",
        ):
            self.assertContains(r, text)

    def test_the_wrong_name_deletes_nothing(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.post(self.room_url(self.room, "delete/"), {"confirm_name": "standup"})
        self.assertContains(r, "Type the room&#x27;s name, Standup, to delete it.", status_code=400)
        self.assertTrue(Room.objects.filter(pk=self.room.pk).exists())

    def test_delete_takes_its_records_and_leaves_a_line_in_the_audit_log(self) -> None:
        self.client.force_login(self.dave)
        r = self.client.post(self.room_url(self.room, "delete/"), {"confirm_name": "Standup"})
        self.assertRedirects(r, self.base)
        self.assertFalse(Room.objects.filter(pk=self.room.pk).exists())
        self.assertEqual(
            (Meeting.objects.count(), ChatMessage.objects.count(), Transcript.objects.count()), (0, 0, 0)
        )
        self.assertTrue(Room.objects.filter(pk=self.bobs.pk).exists())
        entry = AuditEntry.objects.get(action=AuditEntry.Action.ROOM_DELETE)
        self.assertEqual(entry.detail, {"meetings": 1, "chat_messages": 1, "transcripts": 1, "summaries": 1})

    def test_a_room_in_a_meeting_is_not_deleted(self) -> None:
        room_services.join_meeting(room=self.room, user=self.bob)
        self.client.force_login(self.alice)
        r = self.client.post(self.room_url(self.room, "delete/"), {"confirm_name": "Standup"})
        self.assertContains(r, "A meeting is going on in this room", status_code=400)
        self.assertTrue(Room.objects.filter(pk=self.room.pk).exists())
