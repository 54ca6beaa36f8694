"""A real Celery worker serves /metrics, /healthz and /readyz on CELERY_METRICS_PORT: summary
durations by outcome and failures (a real one: a missing model file), added up across its pool
process."""

from __future__ import annotations

import json
import socket
import urllib.request

from conference.testing.observe import json_lines, scrape, value
from summaries import services as summary_services
from summaries.models import Summary
from summaries.tests.helpers import make_meeting
from summaries.tests.test_tasks_worker import WorkerTestCase, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SummaryMetricsTests(WorkerTestCase):
    def test_durations_and_failures_are_counted(self) -> None:
        port = free_port()
        log = self.start_worker(
            "w-metrics", SUMMARY_USE_LLM="0", LOG_FORMAT="json", CELERY_METRICS_PORT=str(port)
        )
        url = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
            self.assertEqual(json.loads(response.read())["status"], "ready")
        meeting = make_meeting(self.room, fixture="release_planning")
        summary_services.queue_summary(meeting=meeting)
        wait_for(
            lambda: (s := self.summary_of(meeting.id)) and s.status == Summary.Status.DONE, 60, "DONE", log
        )
        samples = wait_for(
            lambda: (
                (m := scrape(f"{url}/metrics"))
                and value(m, "summary_duration_seconds_count", outcome="done")
                and m
            ),
            10,
            "the duration in the main process's /metrics",
            log,
        )
        self.assertGreater(value(samples, "summary_duration_seconds_sum", outcome="done"), 0)
        self.assertEqual(value(samples, "summary_failures_total", reason="error"), 0)
        finished = [
            r
            for r in json_lines(log.output())
            if r["message"].startswith(f"Summary {self.summary_of(meeting.id).pk} finished")
        ]
        self.assertEqual([(r["process"], r["meeting"]) for r in finished], [("celery", meeting.id)])

    def test_a_broken_model_is_a_counted_failure_and_the_summary_waits_for_it(self) -> None:
        port = free_port()
        log = self.start_worker(
            "w-broken",
            SUMMARY_USE_LLM="1",
            LLM_MODEL_PATH="/nonexistent/model.gguf",
            CELERY_METRICS_PORT=str(port),
        )
        meeting = make_meeting(self.room, fixture="clinic_handover")
        summary_services.queue_summary(meeting=meeting)
        wait_for(
            # The circuit breaker keeps the extractor's summary and marks the model's pass for later.
            lambda: (
                (s := self.summary_of(meeting.id)) and s.status == Summary.Status.DONE and s.model_deferred
            ),
            60,
            "DONE, the model deferred",
            log,
        )
        samples = wait_for(
            lambda: (
                (m := scrape(f"http://127.0.0.1:{port}/metrics"))
                and value(m, "summary_failures_total", reason="model")
                # The duration is observed just after the failure is counted: wait for both.
                and value(m, "summary_duration_seconds_count", outcome="done")
                and m
            ),
            10,
            "the failure and the duration in /metrics",
            log,
        )
        self.assertEqual(value(samples, "summary_duration_seconds_count", outcome="done"), 1)
