"""Retention: the policy (who sets it, bad input), what a run deletes and keeps, batches, the audit
line; deleting one meeting's records and downloading them as one archive."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEntry, Membership, Organization, User
from conference.testing import BaseTestCase
from dashboard import retention
from dashboard.models import RetentionPolicy
from rooms.models import ChatMessage, Meeting, Participant, Room
from summaries.models import Summary
from transcripts.models import Segment, Transcript


def meeting_with_records(
    room: Room, *, ended_days_ago: float | None, lines: int = 2, user: User | None = None
) -> Meeting:
    """A meeting (ended that many days ago, or going on) with transcript lines, chat and a summary."""
    now = timezone.now()
    started = now - timedelta(days=(ended_days_ago or 0) + 0.05)
    m = Meeting.objects.create(room=room)
    ended = None if ended_days_ago is None else now - timedelta(days=ended_days_ago)
    Meeting.objects.filter(pk=m.pk).update(started_at=started, ended_at=ended)
    m.refresh_from_db()
    if user is not None:
        Participant.objects.create(meeting=m, user=user, display_name=user.name, left_at=ended)
    t, _ = Transcript.objects.get_or_create(meeting=m)
    for i in range(lines):
        Segment.objects.create(
            transcript=t, speaker="Alice", start=i * 5.0, end=i * 5.0 + 4, text=f"line {i}"
        )
    c = ChatMessage.objects.create(meeting=m, author_name="Alice", text="hello")
    ChatMessage.objects.filter(pk=c.pk).update(created_at=started)
    Summary.objects.create(meeting=m, status=Summary.Status.DONE, summary="We agreed.")
    return m


def records(m: Meeting) -> tuple[int, int, int]:
    return (
        Segment.objects.filter(transcript__meeting=m).count(),
        ChatMessage.objects.filter(meeting=m).count(),
        Summary.objects.filter(meeting=m).count(),
    )


class RetentionTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dave = account_services.create_user(username="dave", password="password", display_name="Dave")
        Membership.objects.create(organization=self.org, user=self.dave, role=Membership.Role.ADMIN)


class PolicyTests(RetentionTestCase):
    def test_owner_and_admin_set_it_and_it_is_audited(self) -> None:
        retention.set_policy(organization=self.org, by=self.alice, transcript_days=30, chat_days=None)
        retention.set_policy(organization=self.org, by=self.dave, chat_days=7)
        policy = RetentionPolicy.objects.get(organization=self.org)
        self.assertEqual((policy.transcript_days, policy.chat_days, policy.summary_days), (30, 7, None))
        entries = AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_CHANGE).order_by("id")
        self.assertEqual(
            [(e.actor_name, e.detail) for e in entries],
            [
                ("alice", {"transcript_days": "forever -> 30 days"}),
                ("dave", {"chat_days": "forever -> 7 days"}),
            ],
        )

    def test_member_and_outsider_may_not(self) -> None:
        for user in (self.bob, self.charlie):
            with self.assertRaises(PermissionDenied):
                retention.set_policy(organization=self.org, by=user, transcript_days=1)
        self.assertFalse(RetentionPolicy.objects.exists())

    def test_bad_days_are_refused(self) -> None:
        for days in ({"chat_days": 0}, {"audit_days": 10}, {"meetings_days": 5}):
            with self.assertRaises(ValidationError):
                retention.set_policy(organization=self.org, by=self.alice, **days)
        self.assertFalse(RetentionPolicy.objects.exists())

    def test_the_page(self) -> None:
        url = f"/organizations/{self.org.slug}/retention/"
        for user, status in ((self.alice, 200), (self.dave, 200), (self.bob, 403), (self.charlie, 403)):
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, status, user)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(url, {"chat_days": "3"}).status_code, 403)
        self.client.force_login(self.alice)
        r = self.client.post(url, {"transcript_days": "0", "chat_days": "14"})
        self.assertContains(r, "greater than or equal to 1", status_code=400)
        self.assertContains(r, 'value="14"', status_code=400)  # what was typed stays
        self.assertFalse(RetentionPolicy.objects.exists())
        self.assertRedirects(self.client.post(url, {"chat_days": "14", "audit_days": "365"}), url)
        policy = RetentionPolicy.objects.get(organization=self.org)
        self.assertEqual((policy.chat_days, policy.audit_days, policy.transcript_days), (14, 365, None))


class ApplyTests(RetentionTestCase):
    def test_a_run_deletes_exactly_what_the_policy_says(self) -> None:
        old = meeting_with_records(self.room, ended_days_ago=40)
        middle = meeting_with_records(self.room, ended_days_ago=10)
        recent = meeting_with_records(self.room, ended_days_ago=1)
        live = meeting_with_records(self.room, ended_days_ago=None)
        other_org = Organization.objects.get(memberships__user=self.charlie)
        theirs = meeting_with_records(
            Room.objects.create(organization=other_org, name="Theirs", slug="theirs-x"), ended_days_ago=40
        )
        retention.set_policy(organization=self.org, by=self.alice, transcript_days=30, chat_days=5)
        RetentionPolicy.objects.create(organization=other_org)  # keeps everything

        deleted = retention.apply_all()[self.org.id]

        self.assertEqual((deleted.segments, deleted.chat_messages, deleted.summaries), (2, 2, 0))
        self.assertEqual(records(old), (0, 0, 1))  # transcript (40 > 30) and chat (> 5) gone
        self.assertEqual(records(middle), (2, 0, 1))  # chat only
        self.assertEqual(records(recent), (2, 1, 1))
        self.assertEqual(records(live), (2, 1, 1))  # a meeting going on is never touched
        self.assertEqual(records(theirs), (2, 1, 1))
        self.assertTrue(Transcript.objects.filter(meeting=old).exists())  # the empty transcript stays
        entry = AuditEntry.objects.get(action=AuditEntry.Action.RETENTION_RUN)
        self.assertEqual((entry.actor, entry.actor_name), (None, ""))
        self.assertEqual(entry.detail, {"segments": 2, "chat_messages": 2})
        self.assertEqual(entry.organization, self.org)
        retention.apply_all()  # nothing more to delete: no second line
        self.assertEqual(AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_RUN).count(), 1)

    def test_deletes_in_batches(self) -> None:
        meetings = [meeting_with_records(self.room, ended_days_ago=3, lines=5) for _ in range(3)]
        retention.set_policy(organization=self.org, by=self.alice, transcript_days=2, summary_days=2)
        with CaptureQueriesContext(connection) as q:
            deleted = retention.apply_policy(RetentionPolicy.objects.get(organization=self.org), batch=7)
        deletes = [
            x["sql"] for x in q.captured_queries if x["sql"].startswith('DELETE FROM "transcripts_segment"')
        ]
        self.assertEqual(len(deletes), 3)  # 15 lines, 7 at a time
        self.assertEqual((deleted.segments, deleted.summaries), (15, 3))
        self.assertTrue(all(records(m) == (0, 1, 0) for m in meetings))

    def test_the_audit_log_is_kept_per_the_policy(self) -> None:
        AuditEntry.objects.all().delete()
        old = AuditEntry.objects.create(organization=self.org, action=AuditEntry.Action.SETTINGS)
        AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
        kept = AuditEntry.objects.create(organization=self.org, action=AuditEntry.Action.SETTINGS)
        retention.set_policy(organization=self.org, by=self.alice, audit_days=365)
        retention.apply_all()
        self.assertFalse(AuditEntry.objects.filter(pk=old.pk).exists())
        self.assertTrue(AuditEntry.objects.filter(pk=kept.pk).exists())
        run = AuditEntry.objects.get(action=AuditEntry.Action.RETENTION_RUN)
        self.assertEqual(run.detail, {"audit_entries": 1})


class MeetingRecordsTests(RetentionTestCase):
    def test_hosts_and_managers_delete_a_meetings_records_at_once(self) -> None:
        bobs = Room.objects.create(organization=self.org, name="Bob's", slug="bobs-x", created_by=self.bob)
        for user, room in ((self.alice, self.room), (self.dave, self.room), (self.bob, bobs)):
            m = meeting_with_records(room, ended_days_ago=1)
            self.client.force_login(user)
            url = f"/meetings/{m.id}/records/delete/"
            self.assertContains(self.client.get(url), "2 transcript lines")
            self.client.post(url)
            self.assertEqual(records(m), (0, 0, 0), user)
        entries = AuditEntry.objects.filter(action=AuditEntry.Action.RECORDS_DELETE)
        self.assertEqual([e.actor_name for e in entries.order_by("id")], ["alice", "dave", "bob"])
        self.assertEqual(entries.first().detail["segments"], 2)

    def test_others_may_not_and_a_meeting_going_on_is_refused(self) -> None:
        m = meeting_with_records(self.room, ended_days_ago=1, user=self.bob)  # bob attended, is no host
        for user in (self.bob, self.charlie):
            self.client.force_login(user)
            self.assertEqual(self.client.get(f"/meetings/{m.id}/records/delete/").status_code, 403)
            self.assertEqual(self.client.post(f"/meetings/{m.id}/records/delete/").status_code, 403)
        self.assertEqual(records(m), (2, 1, 1))
        live = meeting_with_records(self.room, ended_days_ago=None)
        with self.assertRaisesMessage(ValidationError, "The meeting is going on"):
            retention.delete_meeting_records(meeting=live, by=self.alice)
        self.assertEqual(records(live), (2, 1, 1))

    def test_the_archive_has_everything_for_those_who_may_read_it(self) -> None:
        m = meeting_with_records(self.room, ended_days_ago=1, user=self.bob)
        self.client.force_login(self.bob)  # an attendee may read the records
        r = self.client.get(f"/meetings/{m.id}/archive.zip")
        self.assertEqual(r["Content-Type"], "application/zip")
        z = zipfile.ZipFile(io.BytesIO(r.content))
        self.assertEqual(
            sorted(z.namelist()),
            ["README.txt", "chat.txt", "summary.md", "transcript.json", "transcript.txt", "transcript.vtt"],
        )
        self.assertIn("Alice: line 1", z.read("transcript.txt").decode())
        self.assertIn("Alice: hello", z.read("chat.txt").decode())
        self.assertIn("We agreed.", z.read("summary.md").decode())
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(f"/meetings/{m.id}/archive.zip").status_code, 403)
        self.client.logout()
        self.assertEqual(self.client.get(f"/meetings/{m.id}/archive.zip").status_code, 302)  # log in first

    def test_the_meeting_page_links_them(self) -> None:
        m = meeting_with_records(self.room, ended_days_ago=1, user=self.bob)
        self.client.force_login(self.alice)
        r = self.client.get(f"/meetings/{m.id}/")
        self.assertContains(r, f"/meetings/{m.id}/archive.zip")
        self.assertContains(r, f"/meetings/{m.id}/records/delete/")
        self.client.force_login(self.bob)  # attended, is no host: the archive only
        r = self.client.get(f"/meetings/{m.id}/")
        self.assertContains(r, f"/meetings/{m.id}/archive.zip")
        self.assertNotContains(r, f"/meetings/{m.id}/records/delete/")
