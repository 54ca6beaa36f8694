"""The audit log: what writes it, who reads it, filters, CSV, pagination and query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import audit
from accounts import services as account_services
from accounts.models import AuditEntry, Invitation, Membership
from conference.testing import BaseTestCase
from dashboard.generate import generate
from rooms import moderation
from rooms import services as room_services

A = AuditEntry.Action


class AuditTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dave = account_services.create_user(username="dave", password="password", display_name="Dave")
        self.dave_m = Membership.objects.create(
            organization=self.org, user=self.dave, role=Membership.Role.ADMIN
        )
        self.bob_m = Membership.objects.get(organization=self.org, user=self.bob)
        self.url = f"/organizations/{self.org.slug}/audit/"
        self.setup_entries = list(AuditEntry.objects.values_list("actor_name", "action", "target"))
        AuditEntry.objects.all().delete()  # each test starts from an empty log

    def entries(self) -> list[tuple[str, str, str]]:
        return list(
            AuditEntry.objects.filter(organization=self.org)
            .order_by("id")
            .values_list("actor_name", "action", "target")
        )


class WhatIsRecordedTests(AuditTestCase):
    def test_member_actions_through_the_pages_say_who_what_and_from_where(self) -> None:
        self.client.force_login(self.alice)
        org_url = f"/organizations/{self.org.slug}/"
        self.client.post(org_url, {"email": "erin@example.com", "role": "member"})
        inv = Invitation.objects.get(email="erin@example.com")
        self.client.post(f"{org_url}invitations/{inv.id}/revoke/")
        self.client.post(f"{org_url}members/{self.bob_m.id}/", {"action": "role", "role": "admin"})
        self.client.post(f"{org_url}members/{self.bob_m.id}/", {"action": "remove"})
        self.client.post(f"{org_url}settings/", {"email_summaries": "on"})
        self.assertEqual(
            self.entries(),
            [
                ("alice", A.INVITATION_SEND, "erin@example.com"),
                ("alice", A.INVITATION_REVOKE, "erin@example.com"),
                ("alice", A.MEMBER_ROLE, "bob"),
                ("alice", A.MEMBER_REMOVE, "bob"),
                ("alice", A.SETTINGS, self.org.name),
            ],
        )
        role = AuditEntry.objects.get(action=A.MEMBER_ROLE)
        self.assertEqual(role.detail, {"from": "member", "to": "admin"})
        self.assertEqual(role.actor, self.alice)
        self.assertEqual(set(AuditEntry.objects.values_list("address", flat=True)), {"127.0.0.1"})
        self.assertLess(timezone.now() - role.created_at, timedelta(minutes=1))

    def test_creating_a_room_is_recorded(self) -> None:
        self.assertEqual(self.setup_entries, [("alice", A.ROOM_CREATE, "Standup")])

    def test_leaving_is_recorded_as_leaving(self) -> None:
        account_services.remove_member(membership=self.bob_m, by=self.bob)
        self.assertEqual(self.entries(), [("bob", A.MEMBER_LEAVE, "bob")])

    def test_a_refused_action_leaves_no_entry(self) -> None:
        alice_m = Membership.objects.get(organization=self.org, user=self.alice)
        with self.assertRaises(ValidationError):
            account_services.set_member_role(membership=alice_m, role="member", by=self.alice)
        self.assertEqual(self.entries(), [])

    def test_an_unchanged_role_or_setting_is_not_an_action(self) -> None:
        account_services.set_member_role(membership=self.bob_m, role="member", by=self.alice)
        account_services.set_organization_settings(
            organization=self.org, by=self.alice, email_summaries=False
        )
        self.assertEqual(self.entries(), [])

    def test_host_moderation_in_a_meeting(self) -> None:
        host = room_services.enter_meeting(
            room=self.room, user=self.alice, client_address="192.0.2.7"
        ).participant
        guest = room_services.join_meeting(room=self.room, user=self.bob)
        room_services.set_room_locked(room=self.room, locked=True, by=self.alice, address=host.client_address)
        moderation.mute_participant(host=host, target=guest)
        moderation.allow_unmute(host=host, target=guest)
        moderation.remove_participant(host=host, target=guest)
        moderation.readmit(host=host, removed_id=guest.id)
        self.assertEqual(
            self.entries(),
            [
                ("alice", A.MEETING_LOCK, "Standup"),
                ("alice", A.MEETING_MUTE, "Bob"),
                ("alice", A.MEETING_ALLOW_UNMUTE, "Bob"),
                ("alice", A.MEETING_REMOVE, "Bob"),
                ("alice", A.MEETING_READMIT, "Bob"),
            ],
        )
        self.assertEqual(AuditEntry.objects.get(action=A.MEETING_LOCK).address, "192.0.2.7")
        mute = AuditEntry.objects.get(action=A.MEETING_MUTE)
        self.assertEqual(mute.address, "192.0.2.7")
        self.assertEqual(mute.detail, {"room": "Standup", "meeting": host.meeting_id})

    def test_an_unknown_action_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            audit.record(organization_id=self.org.id, action="made.up", actor=self.alice)


class PageTests(AuditTestCase):
    def _fill(self, n: int) -> None:
        now = timezone.now()
        AuditEntry.objects.bulk_create(
            AuditEntry(
                organization=self.org,
                actor=self.alice if i % 2 else self.dave,
                actor_name="alice" if i % 2 else "dave",
                action=A.ROOM_CHANGE if i % 3 else A.MEMBER_ROLE,
                target=f"Room {i}",
                detail={"n": i},
                address="127.0.0.1",
                created_at=now - timedelta(hours=i),
            )
            for i in range(n)
        )

    def test_owner_and_admin_read_it_member_and_outsider_do_not(self) -> None:
        for user, status in ((self.alice, 200), (self.dave, 200), (self.bob, 403), (self.charlie, 403)):
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url).status_code, status, user)
            self.assertEqual(self.client.get(self.url.rstrip("/") + ".csv").status_code, status, user)

    def test_filters(self) -> None:
        self._fill(30)
        self.client.force_login(self.alice)
        r = self.client.get(self.url, {"action": A.MEMBER_ROLE})
        self.assertEqual(r.context["page"].paginator.count, 10)
        r = self.client.get(self.url, {"actor": "dav"})
        self.assertEqual(r.context["page"].paginator.count, 15)
        r = self.client.get(self.url, {"text": "Room 7"})
        self.assertEqual({e.target for e in r.context["page"]}, {"Room 7"})
        today = timezone.localdate()
        r = self.client.get(self.url, {"since": today.isoformat(), "until": today.isoformat()})
        self.assertEqual(
            r.context["page"].paginator.count,
            sum(1 for i in range(30) if (timezone.localtime() - timedelta(hours=i)).date() == today),
        )

    def test_a_bad_filter_is_explained_and_nothing_is_lost(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get(self.url, {"action": "nope", "actor": "dave"})
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "Select a valid choice", status_code=400)
        self.assertContains(r, 'value="dave"', status_code=400)  # what was typed stays
        r = self.client.get(self.url, {"since": "2026-05-02", "until": "2026-05-01"})
        self.assertContains(r, "The start date is after the end date.", status_code=400)
        self.assertEqual(self.client.get(self.url.rstrip("/") + ".csv", {"since": "x"}).status_code, 400)

    def test_csv_export_follows_the_filter(self) -> None:
        self._fill(12)
        self.client.force_login(self.dave)
        r = self.client.get(self.url.rstrip("/") + ".csv", {"action": A.MEMBER_ROLE})
        self.assertEqual(r["Content-Type"], "text/csv; charset=utf-8")
        rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
        self.assertEqual(rows[0], ["time", "actor", "action", "target", "detail", "address"])
        self.assertEqual(len(rows), 1 + 4)
        self.assertEqual(rows[1][1:4], ["dave", "Role changed", "Room 0"])
        self.assertEqual(rows[1][4:], ["n=0", "127.0.0.1"])

    def test_paginated_with_a_bounded_query_count(self) -> None:
        self.client.force_login(self.alice)
        self._fill(5)
        with CaptureQueriesContext(connection) as few:
            self.client.get(self.url)
        self._fill(250)
        generate(organization=self.org, users=[self.alice, self.bob], rooms=[self.room], meetings=220)
        with CaptureQueriesContext(connection) as many:
            r = self.client.get(self.url, {"page": 3})
        self.assertEqual(len(r.context["page"].object_list), 50)
        self.assertContains(r, "Page 3 of 6")
        self.assertEqual(len(many), len(few))
        self.assertLessEqual(len(many), 8)
