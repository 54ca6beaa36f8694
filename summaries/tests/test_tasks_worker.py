"""The summary task through real Redis and a real `celery worker` process on the test database."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.test import TransactionTestCase

from conference.testing import make_users
from conference.testing.processes import WorkerProcess, worker_environment
from summaries import services as summary_services
from summaries.models import Summary
from summaries.tests.helpers import make_meeting
from transcripts import services as transcript_services
from transcripts.models import Transcript

VISIBILITY_TIMEOUT = 6  # seconds before an unacknowledged message is delivered again


def wait_for(
    check: Callable[[], object], timeout: float, what: str, log: WorkerProcess | None = None
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    tail = log.tail() if log else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")


class WorkerTestCase(TransactionTestCase):
    """Starts workers as subprocesses (own process group, so SIGKILL takes the whole worker)."""

    def setUp(self) -> None:
        super().setUp()
        make_users(self)
        self.queue = settings.CELERY_TASK_DEFAULT_QUEUE
        self.redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        # The broker's keys carry our prefix: the queue, and kombu's unacked bookkeeping.
        prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
        self.broker_keys = [prefix + self.queue, prefix + "unacked", prefix + "unacked_index"]
        # Nothing left over from earlier tests: meetings that ended there queued summaries too.
        self.redis.delete(*self.broker_keys)
        self.workers: list[WorkerProcess] = []

    def tearDown(self) -> None:
        for p in self.workers:
            p.kill()
        self.redis.delete(*self.broker_keys)
        super().tearDown()

    def start_worker(self, name: str, **env: str) -> WorkerProcess:
        worker_env = {
            **worker_environment(),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_TASK_ALWAYS_EAGER": "False",
            "SUMMARY_TEST_DELAY_SECONDS": "0",
            **env,
        }
        cmd = [sys.executable, "-m", "celery", "-A", "conference", "worker", "-l", "info", "-c", "1"]
        cmd += ["-n", f"{name}-{os.getpid()}@%h", "-Q", self.queue, "--without-gossip", "--without-mingle"]
        # Its own process group, so SIGKILL takes the whole worker.
        p = WorkerProcess(name, cmd, env=worker_env, ready=r" ready\.", ready_timeout=90, own_session=True)
        self.workers.append(p.start())
        p.wait_ready()
        return p

    def summary_of(self, meeting_id: int) -> Summary | None:
        return Summary.objects.filter(meeting_id=meeting_id).order_by("-version").first()


class SummaryWorkerTests(WorkerTestCase):
    def test_meeting_end_stores_a_summary(self) -> None:
        log = self.start_worker("w-end")
        meeting = make_meeting(self.room, fixture="release_planning")
        Transcript.objects.filter(meeting=meeting).update(status=Transcript.Status.LIVE)
        # the meeting ends and the SFU's flush says every final was processed: the transcript
        # completes and queues the summary (transcripts.services -> queue_summary)
        transcript_services.mark_meeting_ended(meeting=meeting)
        transcript_services.record_flush(meeting_id=meeting.id, finals=0)
        self.assertEqual(Transcript.objects.get(meeting=meeting).status, Transcript.Status.COMPLETE)
        wait_for(
            lambda: (s := self.summary_of(meeting.id)) and s.status == Summary.Status.DONE, 180, "DONE", log
        )
        s = Summary.objects.get(meeting=meeting)
        self.assertEqual({a["owner"] for a in s.action_items}, {"Elena Rossi", "Tomas Berg"})
        self.assertTrue(s.summary)
        self.assertTrue(s.model_name.endswith(".gguf"), s.model_name)  # the real model ran in the worker

    def test_empty_transcript_is_nothing_to_summarize_once(self) -> None:
        log = self.start_worker("w-empty", SUMMARY_USE_LLM="0")
        meeting = make_meeting(self.room)
        summary_services.queue_summary(meeting=meeting)
        wait_for(
            lambda: (s := self.summary_of(meeting.id)) and s.status == Summary.Status.EMPTY, 60, "EMPTY", log
        )
        time.sleep(2)  # no retry loop: still one row, still EMPTY, queue drained
        self.assertEqual(list(Summary.objects.values_list("status", flat=True)), [Summary.Status.EMPTY])
        self.assertEqual(self.redis.llen(self.broker_keys[0]), 0)
        self.assertEqual(log.count("succeeded"), 1)

    def test_worker_killed_mid_task_is_run_again_once(self) -> None:
        log_a = self.start_worker("w-doomed", SUMMARY_USE_LLM="0", SUMMARY_TEST_DELAY_SECONDS="120")
        meeting = make_meeting(self.room, fixture="clinic_handover")
        summary_services.queue_summary(meeting=meeting)
        wait_for(
            lambda: (s := self.summary_of(meeting.id)) and s.status == Summary.Status.RUNNING,
            60,
            "RUNNING",
            log_a,
        )
        self.workers[0].kill()
        self.assertEqual(self.summary_of(meeting.id).status, Summary.Status.RUNNING)
        # A worker sweeps unacknowledged messages older than the visibility timeout when it starts
        # (and then only every ~100 s), so the rescuer starts once the message has expired.
        time.sleep(VISIBILITY_TIMEOUT + 1)

        log_b = self.start_worker("w-rescue", SUMMARY_USE_LLM="0")
        wait_for(
            lambda: (s := self.summary_of(meeting.id)) and s.status == Summary.Status.DONE,
            VISIBILITY_TIMEOUT + 90,
            "the redelivered task to finish",
            log_b,
        )
        rows = list(Summary.objects.filter(meeting=meeting))
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0].version, 1)
        self.assertIn("Maria Lopez", {a["owner"] for a in rows[0].action_items})
