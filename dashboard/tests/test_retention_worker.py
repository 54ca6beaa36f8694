"""The retention beat task through a real `celery worker -B` on the test database and Redis: it
deletes exactly what the policy says, nothing else, and logs it in the audit log."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from accounts import services as account_services
from accounts.models import AuditEntry, Organization
from conference.testing.processes import WorkerProcess, worker_environment
from dashboard import retention
from dashboard.tests.test_retention import meeting_with_records, records
from rooms.models import Room
from summaries.tests.test_tasks_worker import WorkerTestCase, wait_for


class RetentionBeatTests(WorkerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="retention-beat-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start_beat_worker(self) -> WorkerProcess:
        env = {
            **worker_environment(),
            "CELERY_TASK_ALWAYS_EAGER": "False",
            "SUMMARY_USE_LLM": "0",
            "RETENTION_SECONDS": "1",
            "RETENTION_BATCH_SIZE": "3",  # several batches for the 8 old lines
        }
        cmd = [sys.executable, "-m", "celery", "-A", "conference", "worker", "-B", "-l", "info", "-c", "1"]
        cmd += [
            "-s",
            os.path.join(self.tmp, "schedule"),
            "-n",
            f"retention-{os.getpid()}@%h",
            "-Q",
            self.queue,
        ]
        cmd += ["--without-gossip", "--without-mingle"]
        p = WorkerProcess("beat", cmd, env=env, ready=r" ready\.", ready_timeout=90, own_session=True)
        self.workers.append(p.start())
        p.wait_ready()
        return p

    def test_the_beat_task_deletes_what_the_policy_says_and_logs_it(self) -> None:
        old = meeting_with_records(self.room, ended_days_ago=40, lines=8)
        recent = meeting_with_records(self.room, ended_days_ago=2, lines=3)
        live = meeting_with_records(self.room, ended_days_ago=None, lines=3)
        other_org = Organization.objects.get(memberships__user=self.charlie)
        theirs = meeting_with_records(
            Room.objects.create(organization=other_org, name="Theirs", slug="theirs-x"), ended_days_ago=40
        )
        retention.set_policy(organization=self.org, by=self.alice, transcript_days=30, summary_days=30)
        account_services.set_organization_settings(organization=self.org, by=self.alice, email_summaries=True)

        log = self.start_beat_worker()
        entry = wait_for(
            lambda: AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_RUN).first(),
            60,
            "the retention run's audit line",
            log,
        )
        self.assertIn("dashboard.tasks.apply_retention", log.output())
        self.assertEqual(entry.detail, {"segments": 8, "summaries": 1})
        self.assertEqual((entry.organization_id, entry.actor_id), (self.org.id, None))
        self.assertEqual(records(old), (0, 1, 0))  # chat has no policy: kept
        self.assertEqual(records(recent), (3, 1, 1))
        self.assertEqual(records(live), (3, 1, 1))
        self.assertEqual(records(theirs), (2, 1, 1))
        # Later runs find nothing more: still one line, and the other entries are untouched.
        wait_for(lambda: log.count("apply_retention") >= 6, 30, "more retention runs", log)
        self.assertEqual(AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_RUN).count(), 1)
        self.assertTrue(AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS).exists())
