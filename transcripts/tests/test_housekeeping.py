"""Transcripts of meetings that outlived their SFU worker: the flush of the last worker counts,
and a transcript no flush completes is completed by the housekeeping task (run as a function
here; through a real `celery worker -B` in summaries/tests/test_housekeeping_worker.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from rooms import services as room_services
from rooms.models import Meeting
from transcripts import services, tasks
from transcripts.models import Transcript
from transcripts.signals import transcript_completed
from transcripts.tests.helpers import MeetingTestCase


class MovedMeetingFlushTestCase(MeetingTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.place("sfu-a")

    def place(self, worker: str) -> None:
        Meeting.objects.filter(pk=self.meeting.pk).update(sfu_worker=worker)

    def final(self, utterance: str, source: str) -> None:
        services.store_final_segment(
            meeting_id=self.meeting.pk,
            participant_id=self.p_bob.pk,
            speaker="Bob",
            utterance=utterance,
            start=1.0,
            end=2.0,
            text=f"words of {utterance}",
            source=source,
        )

    def end(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            room_services.leave_meeting(participant=self.p_alice)
            room_services.leave_meeting(participant=self.p_bob)

    def status(self) -> str:
        return Transcript.objects.get(meeting=self.meeting).status

    def test_dead_workers_finals_are_not_waited_for(self) -> None:
        self.final("a1", "sfu-a")
        self.final("a2", "sfu-a")
        self.place("sfu-b")  # sfu-a died without a flush; the meeting moved
        self.final("b1", "sfu-b")
        self.end()
        self.assertEqual(self.status(), Transcript.Status.FLUSHING)
        services.record_flush(meeting_id=self.meeting.pk, finals=2, source="sfu-b")
        # Three finals were processed, but only one of sfu-b's two: not complete yet.
        self.assertEqual(self.status(), Transcript.Status.FLUSHING)
        self.final("b2", "sfu-b")
        self.assertEqual(self.status(), Transcript.Status.COMPLETE)

    def test_stopped_workers_flush_is_superseded_by_the_last_workers(self) -> None:
        self.final("a1", "sfu-a")
        services.record_flush(meeting_id=self.meeting.pk, finals=1, source="sfu-a")  # SIGTERM
        self.place("sfu-b")
        self.end()
        # sfu-a's flush is satisfied, but the meeting ended on sfu-b: wait for its flush.
        self.assertEqual(self.status(), Transcript.Status.FLUSHING)
        self.final("b1", "sfu-b")
        services.record_flush(meeting_id=self.meeting.pk, finals=1, source="sfu-b")
        self.assertEqual(self.status(), Transcript.Status.COMPLETE)

    def test_a_late_flush_of_a_former_worker_changes_nothing(self) -> None:
        self.place("sfu-b")
        self.end()
        services.record_flush(meeting_id=self.meeting.pk, finals=1, source="sfu-b")
        services.record_flush(meeting_id=self.meeting.pk, finals=0, source="sfu-a")
        t = Transcript.objects.get(meeting=self.meeting)
        self.assertEqual(
            (t.status, t.finals_source, t.finals_expected), (Transcript.Status.FLUSHING, "sfu-b", 1)
        )
        self.final("b1", "sfu-b")
        self.assertEqual(self.status(), Transcript.Status.COMPLETE)


class StuckTranscriptTestCase(MeetingTestCase):
    def setUp(self) -> None:
        super().setUp()
        Meeting.objects.filter(pk=self.meeting.pk).update(sfu_worker="sfu-dead")  # a flush is due
        with self.captureOnCommitCallbacks(execute=True):
            room_services.leave_meeting(participant=self.p_alice)
            room_services.leave_meeting(participant=self.p_bob)
        self.assertEqual(Transcript.objects.get(meeting=self.meeting).status, Transcript.Status.FLUSHING)

    def ended_ago(self, seconds: float) -> None:
        Meeting.objects.filter(pk=self.meeting.pk).update(
            ended_at=timezone.now() - timedelta(seconds=seconds)
        )

    def test_completed_once_the_timeout_passed_and_summary_queued(self) -> None:
        self.ended_ago(settings.TRANSCRIPT_FLUSH_TIMEOUT_SECONDS - 30)
        self.assertEqual(tasks.complete_stuck_transcripts(), [])
        self.assertEqual(Transcript.objects.get(meeting=self.meeting).status, Transcript.Status.FLUSHING)

        self.ended_ago(settings.TRANSCRIPT_FLUSH_TIMEOUT_SECONDS + 30)
        completed: list[int] = []

        def on_completed(sender: object, *, meeting_id: int, **kwargs: object) -> None:
            completed.append(meeting_id)

        transcript_completed.connect(on_completed)
        self.addCleanup(transcript_completed.disconnect, on_completed)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(tasks.complete_stuck_transcripts(), [self.meeting.pk])
        t = Transcript.objects.get(meeting=self.meeting)
        self.assertEqual(t.status, Transcript.Status.COMPLETE)
        self.assertIsNotNone(t.completed_at)
        # The summary follows through the transcript-complete path (the summaries app listens).
        self.assertEqual(completed, [self.meeting.pk])
        # Run again: nothing more to do, no second completion.
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(tasks.complete_stuck_transcripts(), [])
        self.assertEqual(completed, [self.meeting.pk])

    def test_live_and_complete_transcripts_are_left_alone(self) -> None:
        room = self.room
        other = room_services.join_meeting(room=room, user=self.alice)  # a new, live meeting
        services.store_final_segment(
            meeting_id=other.meeting_id,
            participant_id=other.pk,
            speaker="Alice",
            utterance="x",
            start=0.0,
            end=1.0,
            text="still talking",
        )
        Meeting.objects.filter(pk=self.meeting.pk).update(ended_at=timezone.now() - timedelta(days=1))
        Transcript.objects.filter(meeting=self.meeting).update(status=Transcript.Status.COMPLETE)
        self.assertEqual(services.complete_stuck_transcripts(older_than=timedelta(0)), [])
        self.assertEqual(Transcript.objects.get(meeting_id=other.meeting_id).status, Transcript.Status.LIVE)
