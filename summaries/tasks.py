"""Celery tasks for summaries: thin, they load by id and call a service.

The services queue this task, so the task imports them in its body (no import cycle).
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from conference import logs
from rooms.models import Meeting
from summaries import metrics
from summaries.errors import TRANSIENT_ERRORS
from summaries.models import Summary

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,  # a worker that dies mid-task leaves the message to be delivered again
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=settings.SUMMARY_TIME_LIMIT_SECONDS,
    time_limit=settings.SUMMARY_TIME_LIMIT_SECONDS + 30,
)
def summarize_meeting(self, summary_id: int | None = None, meeting_id: int | None = None) -> str:  # type: ignore[no-untyped-def]
    """Run one summary version (by summary id, or the meeting's latest, made if missing)."""
    from summaries import services

    if summary_id is None:
        if meeting_id is None:
            raise ValueError("summarize_meeting needs summary_id or meeting_id")
        latest = Summary.objects.filter(meeting_id=meeting_id).order_by("-version").first()
        if latest is None:
            meeting = Meeting.objects.filter(pk=meeting_id).first()
            if meeting is None:
                return "no such meeting"
            latest = services.queue_summary(meeting=meeting)
            return f"queued {latest.pk}"  # the queued task runs it
        summary_id = latest.pk
    meeting_of = Summary.objects.filter(pk=summary_id).values_list("meeting_id", flat=True).first()
    if meeting_of is None:
        return "no such summary"
    with logs.bound(meeting=meeting_of, request_id=self.request.id):
        return _run(self, summary_id)


def _run(task, summary_id: int) -> str:  # type: ignore[no-untyped-def]
    from summaries import services

    started = time.monotonic()
    logger.info("Summary %s started", summary_id)
    try:
        summary = services.run_summary(summary_id=summary_id)
    except SoftTimeLimitExceeded:
        services.fail_summary(
            summary_id=summary_id, reason=f"Time limit of {settings.SUMMARY_TIME_LIMIT_SECONDS} s exceeded."
        )
        _observe(started, "failed", "time-limit", summary_id)
        return "failed"
    except TRANSIENT_ERRORS as exc:
        if task.request.retries >= task.max_retries:
            services.fail_summary(summary_id=summary_id, reason=f"Gave up after retries: {exc}")
        _observe(started, "retry", type(exc).__name__, summary_id)
        raise
    status = str(summary.status)
    _observe(started, status, "error" if status == Summary.Status.FAILED else "", summary_id)
    return summary.status


def _observe(started: float, outcome: str, failure: str, summary_id: int) -> None:
    seconds = time.monotonic() - started
    metrics.SUMMARY_SECONDS.labels(outcome).observe(seconds)
    if failure:
        metrics.SUMMARY_FAILURES.labels(failure).inc()
    logger.info("Summary %s finished: %s in %.1f s", summary_id, outcome, seconds)


@shared_task(ignore_result=True, soft_time_limit=settings.SUMMARY_TIME_LIMIT_SECONDS)
def redo_deferred_summaries() -> list[int]:
    """Beat task (conference.celery): the model's pass over summaries made while it was out."""
    from summaries import services

    return services.redo_deferred_summaries()
