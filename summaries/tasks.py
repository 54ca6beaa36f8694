"""Celery tasks for summaries: thin, they load by id and call a service.

The services queue this task, so the task imports them in its body (no import cycle).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from rooms.models import Meeting
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
    if not Summary.objects.filter(pk=summary_id).exists():
        return "no such summary"
    try:
        summary = services.run_summary(summary_id=summary_id)
    except SoftTimeLimitExceeded:
        services.fail_summary(
            summary_id=summary_id, reason=f"Time limit of {settings.SUMMARY_TIME_LIMIT_SECONDS} s exceeded."
        )
        return "failed"
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            services.fail_summary(summary_id=summary_id, reason=f"Gave up after retries: {exc}")
        raise
    return summary.status


@shared_task(ignore_result=True, soft_time_limit=settings.SUMMARY_TIME_LIMIT_SECONDS)
def redo_deferred_summaries() -> list[int]:
    """Beat task (conference.celery): the model's pass over summaries made while it was out."""
    from summaries import services

    return services.redo_deferred_summaries()
