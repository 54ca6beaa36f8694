"""The dashboard's usage: permissions, the figures, range switching, charts, CSV, query counts."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from conference.testing import BaseTestCase
from dashboard import selectors
from dashboard.generate import generate
from rooms.models import Meeting, Participant, Room
from summaries.models import Summary
from transcripts.models import Segment, Transcript


class UsageTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dave = self._user("dave")
        Membership.objects.create(organization=self.org, user=self.dave, role=Membership.Role.ADMIN)
        self.url = f"/organizations/{self.org.slug}/dashboard/"

    def _user(self, name: str):  # type: ignore[no-untyped-def]
        from accounts import services

        return services.create_user(username=name, password="password", display_name=name.title())

    def _meeting(self, *, hours_ago: float, minutes: int, people: list, room: Room | None = None) -> Meeting:
        """An ended meeting with ``people`` (users, or guest names) present for all of it."""
        start = timezone.now() - timedelta(hours=hours_ago)
        m = Meeting.objects.create(room=room or self.room)
        Meeting.objects.filter(pk=m.pk).update(started_at=start, ended_at=start + timedelta(minutes=minutes))
        for who in people:
            p = Participant.objects.create(
                meeting=m,
                user=who if not isinstance(who, str) else None,
                display_name=who if isinstance(who, str) else who.name,
                guest_key=who if isinstance(who, str) else "",
            )
            Participant.objects.filter(pk=p.pk).update(
                joined_at=start, left_at=start + timedelta(minutes=minutes)
            )
        m.refresh_from_db()
        return m


class PermissionTests(UsageTestCase):
    def test_owner_and_admin_see_the_dashboard(self) -> None:
        for user in (self.alice, self.dave):
            self.client.force_login(user)
            r = self.client.get(self.url)
            self.assertEqual(r.status_code, 200, user)
            self.assertContains(r, "Usage, last 30 days, per day")

    def test_member_and_outsider_are_refused_every_page(self) -> None:
        for user in (self.bob, self.charlie):
            self.client.force_login(user)
            for path in ("", "usage.csv", "meetings.csv"):
                self.assertEqual(self.client.get(self.url + path).status_code, 403, (user, path))

    def test_anonymous_is_sent_to_log_in(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 302)
        self.assertIn("/accounts/login/", r["Location"])

    def test_organization_page_links_managers_to_it(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/organizations/{self.org.slug}/"), self.url)
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(f"/organizations/{self.org.slug}/"), self.url)


class FigureTests(UsageTestCase):
    def test_series_per_day(self) -> None:
        # Two meetings today (overlapping: alice, bob and a guest, then alice and dave), one 3 days ago.
        self._meeting(hours_ago=0.5, minutes=20, people=[self.alice, self.bob, "guest-1"])
        self._meeting(hours_ago=0.4, minutes=10, people=[self.dave])
        self._meeting(hours_ago=72, minutes=30, people=[self.alice])
        old = self._meeting(hours_ago=24 * 40, minutes=30, people=[self.alice])  # outside 30 days
        transcript = Transcript.objects.create(meeting=Meeting.objects.order_by("-started_at").first())
        Segment.objects.create(transcript=transcript, speaker="Alice", start=0, end=90, text="hi")
        Summary.objects.create(meeting=transcript.meeting, status=Summary.Status.DONE)
        Summary.objects.create(meeting=old, status=Summary.Status.DONE)

        u = selectors.usage(self.org.id, selectors.period(30, "day"))
        self.assertEqual(len(u.buckets), 30)
        today = u.buckets[-1].values
        # A meeting half an hour old may have started yesterday just after midnight: count by date.
        by_day = {b.start: b.values for b in u.buckets}
        self.assertEqual(u.totals["meetings"], 3)
        self.assertEqual(u.totals["meeting_minutes"], 60)
        self.assertEqual(u.totals["participant_minutes"], 3 * 20 + 10 + 30)
        self.assertEqual(u.totals["people"], 4)  # alice, bob, dave, the guest
        self.assertEqual(u.totals["peak"], 4)  # the first meeting's three and dave at once
        self.assertEqual(u.totals["caption_minutes"], 2)  # 90 s
        self.assertEqual(u.totals["summaries"], 1)  # the old meeting's is out of range
        three_days_ago = timezone.localdate() - timedelta(days=3)
        self.assertEqual(by_day[three_days_ago]["meetings"], 1)
        self.assertEqual(by_day[three_days_ago]["peak"], 1)
        self.assertEqual(sum(b.values["meetings"] for b in u.buckets if b.start != three_days_ago), 2)
        self.assertLessEqual(today["meetings"], 2)

    def test_leaving_then_joining_at_the_same_moment_is_not_two_at_once(self) -> None:
        start = timezone.now() - timedelta(hours=2)
        m = Meeting.objects.create(room=self.room)
        Meeting.objects.filter(pk=m.pk).update(started_at=start, ended_at=start + timedelta(minutes=20))
        for who, (a, b) in ((self.alice, (0, 10)), (self.bob, (10, 20))):
            p = Participant.objects.create(meeting=m, user=who, display_name=who.name)
            Participant.objects.filter(pk=p.pk).update(
                joined_at=start + timedelta(minutes=a), left_at=start + timedelta(minutes=b)
            )
        self.assertEqual(selectors.usage(self.org.id, selectors.period(7, "day")).totals["peak"], 1)

    def test_weeks_start_on_monday_and_cover_the_range(self) -> None:
        p = selectors.period(90, "week")
        self.assertTrue(all(s.weekday() == 0 for s in p.starts))
        self.assertLessEqual(p.starts[0], p.since.date())
        self.assertGreater(p.starts[0] + timedelta(days=7), p.since.date())
        self._meeting(hours_ago=24 * 20, minutes=15, people=[self.alice])
        u = selectors.usage(self.org.id, p)
        self.assertEqual(sum(b.values["meetings"] for b in u.buckets), 1)

    def test_other_organizations_do_not_count(self) -> None:
        other = Room.objects.create(
            organization=self.charlie.organizations.get(), name="Theirs", slug="theirs-x"
        )
        self._meeting(hours_ago=1, minutes=15, people=[self.charlie], room=other)
        self.assertEqual(selectors.usage(self.org.id, selectors.period(7, "day")).totals["meetings"], 0)

    def test_top_rooms_and_most_active_people(self) -> None:
        retro = Room.objects.create(organization=self.org, name="Retro", slug="retro-x")
        for h in (1, 2):
            self._meeting(hours_ago=h * 5, minutes=10, people=[self.alice, self.bob], room=retro)
        self._meeting(hours_ago=30, minutes=50, people=[self.bob])
        u = selectors.usage(self.org.id, selectors.period(7, "day"))
        self.assertEqual([r["name"] for r in u.top_rooms], ["Retro", "Standup"])
        self.assertEqual(u.top_rooms[0]["meetings"], 2)
        self.assertEqual([(p["name"], p["minutes"]) for p in u.top_people], [("Bob", 70), ("Alice", 20)])


class PageTests(UsageTestCase):
    def test_switching_range_changes_the_chart(self) -> None:
        self._meeting(hours_ago=24 * 20, minutes=15, people=[self.alice])
        self.client.force_login(self.alice)
        week = self.client.get(self.url, {"range": 7, "by": "day"})
        quarter = self.client.get(self.url, {"range": 90, "by": "week"})
        self.assertContains(week, 'data-metric="meetings" data-bars="7"')
        self.assertEqual(week.context["usage"].totals["meetings"], 0)
        self.assertContains(quarter, "Usage, last 90 days, per week")
        self.assertEqual(quarter.context["usage"].totals["meetings"], 1)
        bars = len(quarter.context["period"].starts)
        self.assertContains(quarter, f'data-metric="meetings" data-bars="{bars}"')
        self.assertContains(quarter, 'data-value="1"')
        self.assertContains(quarter, '<th scope="col">Week of</th>')

    def test_a_bad_range_is_refused_with_words_and_the_default_shown(self) -> None:
        self.client.force_login(self.alice)
        for query in ({"range": 365}, {"range": "x"}, {"by": "hour"}):
            r = self.client.get(self.url, query)
            self.assertEqual(r.status_code, 400, query)
            self.assertContains(r, "Choose a range of 7, 30 or 90 days", status_code=400)
            self.assertContains(r, "Usage, last 30 days, per day", status_code=400)
            csv_r = self.client.get(self.url + "usage.csv", query)
            self.assertEqual(csv_r.status_code, 400)

    def test_usage_csv_has_the_series(self) -> None:
        self._meeting(hours_ago=24 * 3, minutes=15, people=[self.alice, self.bob])
        self.client.force_login(self.alice)
        r = self.client.get(self.url + "usage.csv", {"range": 7, "by": "day"})
        self.assertEqual(r["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", r["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
        self.assertEqual(rows[0], ["day", *selectors.METRIC_KEYS])
        self.assertEqual(len(rows), 8)
        day = (timezone.localdate() - timedelta(days=3)).isoformat()
        row = next(x for x in rows if x[0] == day)
        self.assertEqual(row[1:5], ["1", "15", "30", "2"])

    def test_meetings_csv_lists_every_meeting_of_the_range(self) -> None:
        m = self._meeting(hours_ago=5, minutes=25, people=[self.alice, "guest-2"])
        self._meeting(hours_ago=24 * 40, minutes=5, people=[self.alice])
        self.client.force_login(self.dave)
        r = self.client.get(self.url + "meetings.csv", {"range": 30})
        rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
        self.assertEqual(rows[0], selectors.MEETING_CSV_HEADER)
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[1][:2], [str(m.id), "Standup"])
        self.assertEqual(rows[1][4:7], ["25", "2", "50"])


class QueryCountTests(UsageTestCase):
    def test_queries_do_not_grow_with_meetings(self) -> None:
        self.client.force_login(self.alice)
        generate(organization=self.org, users=[self.alice, self.bob], rooms=[self.room], meetings=10, seed=1)
        with CaptureQueriesContext(connection) as few:
            self.assertEqual(self.client.get(self.url, {"range": 90}).status_code, 200)
        rooms = [
            self.room,
            *(Room.objects.create(organization=self.org, name=f"R{i}", slug=f"r-{i}") for i in range(5)),
        ]
        made = generate(
            organization=self.org, users=[self.alice, self.bob, self.dave], rooms=rooms, meetings=250
        )
        self.assertEqual(made.meetings, 250)
        with CaptureQueriesContext(connection) as many:
            r = self.client.get(self.url, {"range": 90, "by": "week", "page": 3})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.context["usage"].totals["meetings"], 260)
        self.assertEqual(len(r.context["page"].object_list), 25)
        self.assertEqual(len(many), len(few))
        self.assertLessEqual(len(many), 16)
        for name in ("usage.csv", "meetings.csv"):
            with CaptureQueriesContext(connection) as q:
                body = b"".join(self.client.get(self.url + name, {"range": 90}).streaming_content)
            self.assertLessEqual(len(q), 14, name)
        self.assertEqual(body.count(b"\n"), 261)


class GeneratedMeetingsTests(UsageTestCase):
    def test_every_generated_meeting_is_inside_the_range_even_just_after_midnight(self) -> None:
        # The range starts at local midnight 89 days ago, not 90 * 24 hours ago.
        midnight = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
        for now in (midnight + timedelta(minutes=10), midnight + timedelta(hours=23, minutes=50)):
            Meeting.objects.all().delete()
            generate(organization=self.org, users=[self.alice], rooms=[self.room], meetings=300, now=now)
            since = selectors.period(90, "day", now=now).since
            first = Meeting.objects.order_by("started_at").first()
            last = Meeting.objects.order_by("-ended_at").first()
            assert first is not None and last is not None
            self.assertGreaterEqual(first.started_at, since, now)
            self.assertLessEqual(last.ended_at, now, now)
