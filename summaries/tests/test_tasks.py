"""The summary task's own behaviour, run in-process (the worker tests cover the real broker)."""

from __future__ import annotations

from unittest import mock

from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.test import override_settings

from conference.testing import BaseTestCase
from summaries.models import Summary
from summaries.tasks import summarize_meeting
from summaries.tests.helpers import make_meeting


@override_settings(SUMMARY_USE_LLM=False)  # the extractor alone: no model is loaded
class SummarizeMeetingTaskTests(BaseTestCase):
    def test_options(self) -> None:
        self.assertTrue(summarize_meeting.acks_late)
        self.assertTrue(summarize_meeting.reject_on_worker_lost)
        self.assertIn(OperationalError, summarize_meeting.autoretry_for)
        self.assertGreater(summarize_meeting.time_limit, summarize_meeting.soft_time_limit)

    def test_by_summary_id(self) -> None:
        s = Summary.objects.create(meeting=make_meeting(self.room, fixture="clinic_handover"))
        self.assertEqual(summarize_meeting.apply(kwargs={"summary_id": s.id}).get(), Summary.Status.DONE)

    def test_by_meeting_id_uses_the_latest_version(self) -> None:
        meeting = make_meeting(self.room, fixture="clinic_handover")
        Summary.objects.create(meeting=meeting, version=1, status=Summary.Status.DONE, summary="old")
        v2 = Summary.objects.create(meeting=meeting, version=2)
        summarize_meeting.apply(kwargs={"meeting_id": meeting.id}).get()
        v2.refresh_from_db()
        self.assertEqual(v2.status, Summary.Status.DONE)
        self.assertEqual(Summary.objects.get(version=1).summary, "old")

    def test_by_meeting_id_without_summary_queues_one(self) -> None:
        meeting = make_meeting(self.room)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            summarize_meeting.apply(kwargs={"meeting_id": meeting.id}).get()
        self.assertEqual(Summary.objects.get(meeting=meeting).status, Summary.Status.QUEUED)
        self.assertEqual(len(callbacks), 1)

    def test_unknown_ids_are_not_errors(self) -> None:
        self.assertEqual(summarize_meeting.apply(kwargs={"summary_id": 999999}).get(), "no such summary")
        self.assertEqual(summarize_meeting.apply(kwargs={"meeting_id": 999999}).get(), "no such meeting")

    def test_database_errors_are_retried(self) -> None:
        s = Summary.objects.create(meeting=make_meeting(self.room, fixture="clinic_handover"))
        # in-process, the retries run at once; a worker waits with backoff between them
        with mock.patch("summaries.services.run_summary", side_effect=OperationalError("db gone")) as run:
            result = summarize_meeting.apply(kwargs={"summary_id": s.id})
        self.assertEqual(run.call_count, summarize_meeting.max_retries + 1)
        self.assertEqual(result.state, "FAILURE")
        s.refresh_from_db()
        self.assertEqual(s.status, Summary.Status.FAILED)  # not left RUNNING forever
        self.assertIn("Gave up after retries", s.error)

    def test_time_limit_fails_with_a_reason(self) -> None:
        s = Summary.objects.create(
            meeting=make_meeting(self.room, fixture="clinic_handover"), status="running"
        )
        with mock.patch("summaries.services.run_summary", side_effect=SoftTimeLimitExceeded()):
            self.assertEqual(summarize_meeting.apply(kwargs={"summary_id": s.id}).get(), "failed")
        s.refresh_from_db()
        self.assertEqual(s.status, Summary.Status.FAILED)
        self.assertIn("Time limit", s.error)
