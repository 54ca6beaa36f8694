"""The housekeeping beat task through a real `celery worker -B` (as deploy/run.py starts it): a
transcript a dead SFU worker left FLUSHING is completed, and its summary made, exactly once."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from conference.testing.processes import WorkerProcess, worker_environment
from rooms import services as room_services
from rooms.models import Meeting
from summaries.models import Summary
from summaries.tests.test_tasks_worker import WorkerTestCase, wait_for
from transcripts.models import Transcript


class HousekeepingBeatTestCase(WorkerTestCase):
    def start_beat_worker(self) -> WorkerProcess:
        env = {
            **worker_environment(),
            "CELERY_TASK_ALWAYS_EAGER": "False",
            "SUMMARY_USE_LLM": "0",
            "TRANSCRIPT_HOUSEKEEPING_SECONDS": "1",
            "TRANSCRIPT_FLUSH_TIMEOUT_SECONDS": "2",
        }
        cmd = [sys.executable, "-m", "celery", "-A", "conference", "worker", "-B", "-l", "info", "-c", "1"]
        cmd += ["-s", os.path.join(self.tmp, "schedule"), "-n", f"beat-{os.getpid()}@%h", "-Q", self.queue]
        cmd += ["--without-gossip", "--without-mingle"]
        p = WorkerProcess("beat", cmd, env=env, ready=r" ready\.", ready_timeout=90, own_session=True)
        self.workers.append(p.start())
        p.wait_ready()
        return p

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="beat-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_beat_completes_a_stuck_transcript_and_the_summary_is_made(self) -> None:
        meeting = room_services.join_meeting(room=self.room, user=self.alice).meeting
        Meeting.objects.filter(pk=meeting.pk).update(sfu_worker="sfu-dead")
        room_services.leave_meeting(participant=meeting.participants.get())
        self.assertEqual(Transcript.objects.get(meeting=meeting).status, Transcript.Status.FLUSHING)

        log = self.start_beat_worker()
        wait_for(
            lambda: Transcript.objects.get(meeting=meeting).status == Transcript.Status.COMPLETE,
            60,
            "the beat task to complete the transcript",
            log,
        )
        # ... and the summary, queued by the completion, is made by the same worker.
        wait_for(
            lambda: (
                (s := self.summary_of(meeting.id)) and s.status in (Summary.Status.EMPTY, Summary.Status.DONE)
            ),
            60,
            "the summary",
            log,
        )
        self.assertEqual(Summary.objects.filter(meeting=meeting).count(), 1)
