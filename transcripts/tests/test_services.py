from __future__ import annotations

from rooms import services as room_services
from rooms.models import Meeting
from summaries.models import Summary
from transcripts import services
from transcripts.models import Segment, Transcript
from transcripts.tests.helpers import MeetingTestCase


class TranscriptServicesTestCase(MeetingTestCase):
    def store(self, utterance: str, text: str = "Hello there.", start: float = 1.0) -> Segment | None:
        return services.store_final_segment(
            meeting_id=self.meeting.pk,
            participant_id=self.p_bob.pk,
            speaker="Bob",
            utterance=utterance,
            start=start,
            end=start + 2.0,
            text=text,
        )

    def transcript(self) -> Transcript:
        return Transcript.objects.get(meeting=self.meeting)

    def test_store_creates_transcript_and_segment(self) -> None:
        seg = self.store("u1", "  Hello there.  ")
        assert seg is not None
        self.assertEqual(seg.text, "Hello there.")
        self.assertEqual(seg.participant_id, self.p_bob.pk)
        self.assertEqual(seg.speaker, "Bob")
        t = self.transcript()
        self.assertEqual((t.status, t.finals_done), (Transcript.Status.LIVE, 1))

    def test_same_utterance_twice_stores_and_counts_once(self) -> None:
        self.assertIsNotNone(self.store("u1"))
        self.assertIsNone(self.store("u1"))
        self.assertEqual(Segment.objects.count(), 1)
        self.assertEqual(self.transcript().finals_done, 1)

    def test_empty_text_counts_without_segment_and_once(self) -> None:
        self.assertIsNone(self.store("u1", "   "))
        self.assertIsNone(self.store("u1", ""))
        self.assertEqual(Segment.objects.count(), 0)
        self.assertEqual(self.transcript().finals_done, 1)

    def assert_summary_queued_on_commit(self, callbacks: list) -> None:
        self.assertEqual(len(callbacks), 1)
        self.assertFalse(Summary.objects.filter(meeting=self.meeting).exists())
        callbacks[0]()  # inside the test's transaction: the summary's own on_commit never fires
        self.assertTrue(Summary.objects.filter(meeting=self.meeting).exists())

    def test_complete_after_end_flush_and_all_finals(self) -> None:
        Meeting.objects.filter(pk=self.meeting.pk).update(sfu_worker="sfu-1")  # a flush will come
        self.store("u1")
        with self.captureOnCommitCallbacks(execute=True):
            room_services.leave_meeting(participant=self.p_alice)
            room_services.leave_meeting(participant=self.p_bob)  # last one out: meeting ends
        self.assertEqual(self.transcript().status, Transcript.Status.FLUSHING)
        services.record_flush(meeting_id=self.meeting.pk, finals=3)
        self.store("u2")
        t = self.transcript()
        self.assertEqual((t.status, t.finals_done, t.finals_expected), (Transcript.Status.FLUSHING, 2, 3))
        self.assertIsNone(t.completed_at)
        with self.captureOnCommitCallbacks() as callbacks:
            self.store("u3", "")
        t = self.transcript()
        self.assertEqual(t.status, Transcript.Status.COMPLETE)
        self.assertIsNotNone(t.completed_at)
        self.assert_summary_queued_on_commit(callbacks)

    def test_flush_arriving_after_the_finals_completes(self) -> None:
        self.store("u1")
        self.store("u2")
        services.mark_meeting_ended(meeting=self.meeting)
        with self.captureOnCommitCallbacks() as callbacks:
            services.record_flush(meeting_id=self.meeting.pk, finals=2)
        self.assertEqual(self.transcript().status, Transcript.Status.COMPLETE)
        self.assert_summary_queued_on_commit(callbacks)

    def test_not_complete_while_live_even_with_counts_met(self) -> None:
        services.record_flush(meeting_id=self.meeting.pk, finals=0)
        self.assertEqual(self.transcript().status, Transcript.Status.LIVE)
        services.mark_meeting_ended(meeting=self.meeting)
        self.assertEqual(self.transcript().status, Transcript.Status.COMPLETE)

    def test_meeting_with_no_speech_completes_on_empty_flush(self) -> None:
        services.mark_meeting_ended(meeting=self.meeting)
        services.record_flush(meeting_id=self.meeting.pk, finals=0)
        self.assertEqual(self.transcript().status, Transcript.Status.COMPLETE)
        self.assertEqual(self.transcript().finals_done, 0)

    def test_complete_stays_complete(self) -> None:
        services.mark_meeting_ended(meeting=self.meeting)
        services.record_flush(meeting_id=self.meeting.pk, finals=0)
        completed_at = self.transcript().completed_at
        services.mark_meeting_ended(meeting=self.meeting)
        self.store("late")
        t = self.transcript()
        self.assertEqual((t.status, t.completed_at), (Transcript.Status.COMPLETE, completed_at))

    def test_negative_flush_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            services.record_flush(meeting_id=self.meeting.pk, finals=-1)

    def test_segment_of_participant_gone_keeps_speaker(self) -> None:
        seg = services.store_final_segment(
            meeting_id=self.meeting.pk,
            participant_id=999999,
            speaker="Ghost",
            utterance="g1",
            start=0.0,
            end=1.0,
            text="Still here.",
        )
        assert seg is not None
        self.assertIsNone(seg.participant_id)
        self.assertEqual(seg.speaker, "Ghost")
