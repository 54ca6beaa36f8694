"""Meeting page: who sees what, Summarize/Regenerate for hosts, Markdown download."""

from __future__ import annotations

from unittest import mock

from accounts.models import Membership
from conference.testing import BaseTestCase
from summaries.models import Summary
from summaries.tests.helpers import make_meeting


class MeetingPageTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        # alice hosts (created the room), bob took part, charlie is an outsider
        self.meeting = make_meeting(self.room, users={"Alice": self.alice, "Bob": self.bob})
        self.url = f"/meetings/{self.meeting.id}/"

    def done(self) -> Summary:
        return Summary.objects.create(
            meeting=self.meeting,
            status=Summary.Status.DONE,
            summary="We agreed to move the office party.",
            decisions=["Party moves to Friday"],
            action_items=[{"owner": "Bob", "task": "Book the venue", "due": "Monday", "segments": [41, -3]}],
        )

    def test_overview_bullets_link_to_where_they_were_said(self) -> None:
        Summary.objects.create(
            meeting=self.meeting,
            status=Summary.Status.DONE,
            summary="The venue is booked for Friday.\nCatering costs two hundred dollars.",
            summary_segments=[[41, 43], [-3]],  # a chat message (negative id) has no transcript line
        )
        self.client.force_login(self.bob)
        r = self.client.get(self.url)
        self.assertContains(r, "<h3>Overview</h3>", html=True)
        self.assertContains(r, "<li>The venue is booked for Friday.", count=1)
        for sid in (41, 43):
            self.assertContains(r, f'href="/meetings/{self.meeting.id}/transcript/#seg-{sid}"')
        self.assertNotContains(r, "#seg--3")
        self.assertContains(r, "Catering costs two hundred dollars.")

    def test_anonymous_is_sent_to_login(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 302)
        self.assertIn("/login", r["Location"])

    def test_outsider_gets_403(self) -> None:
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.get(self.url + "summary.md").status_code, 403)
        self.assertEqual(self.client.post(self.url + "summarize/").status_code, 403)

    def test_member_who_was_not_there_gets_403(self) -> None:
        other = make_meeting(self.room, users={"Alice": self.alice})
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/meetings/{other.id}/").status_code, 403)

    def test_host_sees_summarize_then_regenerate(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get(self.url)
        self.assertContains(r, "Summarize</button>")
        self.assertContains(r, f'href="/meetings/{self.meeting.id}/transcript/"')
        self.done()
        r = self.client.get(self.url)
        self.assertContains(r, "Regenerate</button>")

    def test_participant_sees_the_result_without_buttons(self) -> None:
        self.done()
        self.client.force_login(self.bob)
        r = self.client.get(self.url)
        self.assertContains(r, "We agreed to move the office party.")
        self.assertContains(r, "Party moves to Friday")
        self.assertContains(r, "Book the venue")
        self.assertContains(r, "(due Monday)")
        self.assertContains(r, f'href="/meetings/{self.meeting.id}/transcript/#seg-41"')
        self.assertNotContains(r, "#seg--3")
        self.assertNotContains(r, "Regenerate")
        self.assertContains(r, "Alice, Bob")

    def test_participant_cannot_summarize(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(self.url + "summarize/").status_code, 403)
        self.assertFalse(Summary.objects.exists())

    def test_org_admin_can_summarize(self) -> None:
        Membership.objects.filter(user=self.bob).update(role=Membership.Role.ADMIN)
        self.client.force_login(self.bob)
        with (
            mock.patch("summaries.tasks.summarize_meeting.delay"),
            self.captureOnCommitCallbacks(execute=True),
        ):
            r = self.client.post(self.url + "summarize/")
        self.assertRedirects(r, self.url)
        self.assertEqual(Summary.objects.get().status, Summary.Status.QUEUED)

    def test_summarize_then_regenerate_makes_versions(self) -> None:
        self.client.force_login(self.alice)
        with mock.patch("summaries.tasks.summarize_meeting.delay") as delay:
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post(self.url + "summarize/")
            Summary.objects.update(status=Summary.Status.DONE)
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post(self.url + "summarize/")
        self.assertEqual(list(Summary.objects.values_list("version", flat=True)), [2, 1])
        self.assertEqual(delay.call_count, 2)

    def test_get_does_not_summarize(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.url + "summarize/").status_code, 405)

    def test_states_are_shown_and_busy_pages_refresh(self) -> None:
        self.client.force_login(self.bob)
        s = Summary.objects.create(meeting=self.meeting, status=Summary.Status.RUNNING)
        r = self.client.get(self.url)
        self.assertContains(r, "Summarizing")
        self.assertContains(r, 'http-equiv="refresh"')
        Summary.objects.filter(pk=s.pk).update(
            status=Summary.Status.FAILED, error="Time limit of 300 s exceeded."
        )
        r = self.client.get(self.url)
        self.assertContains(r, "Time limit of 300 s exceeded.")
        self.assertNotContains(r, 'http-equiv="refresh"')
        Summary.objects.filter(pk=s.pk).update(status=Summary.Status.EMPTY)
        self.assertContains(self.client.get(self.url), "Nothing to summarize")

    def test_markdown_download(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url + "summary.md").status_code, 404)
        self.done()
        r = self.client.get(self.url + "summary.md")
        self.assertEqual(r["Content-Type"], "text/markdown; charset=utf-8")
        body = r.content.decode()
        self.assertIn("- [ ] **Bob**: Book the venue (due: Monday)", body)
        self.assertIn("- Party moves to Friday", body)


class SummaryAdminTests(BaseTestCase):
    def test_changelist_with_filters_and_search(self) -> None:
        meeting = make_meeting(self.room)
        Summary.objects.create(meeting=meeting, status=Summary.Status.FAILED, error="Time limit exceeded")
        self.alice.is_staff = self.alice.is_superuser = True
        self.alice.save()
        self.client.force_login(self.alice)
        r = self.client.get("/admin/summaries/summary/?status__exact=failed&q=Standup")
        self.assertContains(r, "Failed")
        self.assertContains(r, "1 summary")
