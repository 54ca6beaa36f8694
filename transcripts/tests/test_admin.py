from __future__ import annotations

from accounts.models import User
from transcripts import services
from transcripts.models import Segment, Transcript
from transcripts.tests.helpers import MeetingTestCase


class TranscriptAdminTestCase(MeetingTestCase):
    def setUp(self) -> None:
        super().setUp()
        services.store_final_segment(
            meeting_id=self.meeting.pk,
            participant_id=self.p_bob.pk,
            speaker="Bob",
            utterance="u1",
            start=1.0,
            end=2.0,
            text="The budget is approved.",
        )
        self.client.force_login(User.objects.create_superuser("root", "root@example.com", "password"))

    def test_transcript_changelist_filters_and_search(self) -> None:
        r = self.client.get("/admin/transcripts/transcript/", {"status__exact": "live", "q": "budget"})
        self.assertContains(r, "Standup")
        r = self.client.get("/admin/transcripts/transcript/", {"q": "nowhere"})
        self.assertContains(r, "0 transcripts")
        t = Transcript.objects.get()
        self.assertContains(
            self.client.get(f"/admin/transcripts/transcript/{t.pk}/change/"), "The budget is approved."
        )

    def test_segment_changelist_search(self) -> None:
        r = self.client.get("/admin/transcripts/segment/", {"q": "budget"})
        self.assertContains(r, "The budget is approved.")
        seg = Segment.objects.get()
        self.assertEqual(self.client.get(f"/admin/transcripts/segment/{seg.pk}/change/").status_code, 200)
