"""Prometheus metrics of summary tasks (served by the Celery worker on CELERY_METRICS_PORT).

Tasks run in Celery's pool processes: conference.celery switches prometheus-client to its
multiprocess mode for a worker with metrics on, so these figures add up across the pool.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SUMMARY_SECONDS = Histogram(
    "summary_duration_seconds",
    "Time one summary task took, by outcome (done, empty, failed, retry)",
    ["outcome"],
    buckets=(0.5, 1, 2, 5, 10, 20, 40, 60, 120, 300),
)
SUMMARY_FAILURES = Counter("summary_failures", "Summary tasks that failed or will be retried", ["reason"])
