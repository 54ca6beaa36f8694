"""Writes for meeting summaries: queue a version, run it, e-mail it."""

from __future__ import annotations

import logging
import smtplib
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEntry, User
from rooms.models import Meeting
from rooms.selectors import record_recipients
from summaries import selectors
from summaries.errors import TRANSIENT_ERRORS
from summaries.models import Summary
from summaries.summarizer import summarize
from summaries.tasks import summarize_meeting

logger = logging.getLogger(__name__)

NOTHING_TO_SUMMARIZE = "Nothing to summarize: the transcript and the chat are empty."


def on_transcript_completed(sender: Any, *, meeting_id: int, **kwargs: Any) -> None:
    """transcripts.signals.transcript_completed (sent after commit): queue the meeting's summary."""
    meeting = Meeting.objects.get(pk=meeting_id)
    queue_summary(meeting=meeting)


def queue_summary(*, meeting: Meeting, requested_by: User | None = None, regenerate: bool = False) -> Summary:
    """The meeting's summary row, QUEUED and enqueued once the transaction commits.

    Without `regenerate` an existing summary is returned as it is (the transcript may complete
    twice); with it a new version is made, unless one is still queued or running.
    """
    with transaction.atomic():
        # The meeting row serializes version numbers between concurrent requests.
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        latest = selectors.latest_summary(meeting)
        if latest is not None and (not regenerate or selectors.is_busy(latest)):
            return latest
        summary = Summary.objects.create(meeting=meeting, version=(latest.version + 1) if latest else 1)
        summary_id = summary.id
        cache.delete(f"summary-starts:{summary_id}")  # ids of a rebuilt database may repeat
        logger.info(
            "summary %s (meeting %s v%s) queued by %s",
            summary_id,
            meeting.pk,
            summary.version,
            requested_by or "system",
        )
        if latest is not None and requested_by is not None:
            audit.record(
                organization_id=meeting.room.organization_id,
                action=AuditEntry.Action.SUMMARY_REGENERATE,
                actor=requested_by,
                target=meeting.room.name,
                detail={"meeting": meeting.pk, "version": summary.version},
            )
        transaction.on_commit(lambda: summarize_meeting.delay(summary_id=summary_id))
    return summary


MAX_STARTS = 8  # more than the task's retries on connection errors


def _starts(summary_id: int) -> int:
    """How many times a run of this summary was started (in the cache, Redis, for a day)."""
    key = f"summary-starts:{summary_id}"
    cache.add(key, 0, timeout=86400)
    try:
        return cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, timeout=86400)
        return 1


def _test_delay() -> None:
    # Lets the crash test see the task RUNNING before it kills the worker (0 in production).
    if settings.SUMMARY_TEST_DELAY_SECONDS > 0:
        time.sleep(settings.SUMMARY_TEST_DELAY_SECONDS)


def run_summary(*, summary_id: int) -> Summary:
    """Summarize one version: RUNNING, then DONE, EMPTY or FAILED (with the reason).

    A finished summary is left alone, so a redelivered task does nothing; a RUNNING one (its
    worker died) is run again and overwrites the same row.
    Connection errors propagate so that the task retries.
    """
    with transaction.atomic():
        summary = Summary.objects.select_for_update().select_related("meeting__room").get(pk=summary_id)
        if summary.status in (Summary.Status.DONE, Summary.Status.EMPTY, Summary.Status.FAILED):
            return summary
        if summary.status == Summary.Status.RUNNING and _starts(summary_id) > MAX_STARTS:
            # Each start died (out of memory?) or hit a connection error: stop the redelivery loop.
            summary.status = Summary.Status.FAILED
            summary.error = f"Gave up after {MAX_STARTS} attempts: the worker stopped while summarizing."
            summary.save(update_fields=["status", "error", "updated_at"])
            return summary
        summary.status = Summary.Status.RUNNING
        summary.error = ""
        summary.save(update_fields=["status", "error", "updated_at"])

    _test_delay()
    segs, names = selectors.meeting_input(summary.meeting)
    if not segs:
        return _finish(summary, status=Summary.Status.EMPTY, error=NOTHING_TO_SUMMARIZE)
    deadline = time.monotonic() + 0.6 * settings.SUMMARY_TIME_LIMIT_SECONDS
    try:
        result = summarize(segs, names, deadline=deadline)
    except (*TRANSIENT_ERRORS, SoftTimeLimitExceeded):
        raise  # the task retries, or records the time limit
    except Exception as exc:  # a broken model file, a bug: say so on the page instead of RUNNING forever
        logger.exception("summary %s failed", summary_id)
        return _finish(summary, status=Summary.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000])
    summary = _finish(
        summary,
        status=Summary.Status.DONE,
        summary=result["summary"],
        summary_segments=result["summary_segments"],
        decisions=result["decisions"],
        action_items=result["action_items"],
        model_name=result["model_name"],
        model_deferred=result["model_deferred"],
    )
    if email_summary(summary_id=summary.id):
        summary.refresh_from_db()
    return summary


def _finish(row: Summary, **fields: object) -> Summary:
    with transaction.atomic():
        Summary.objects.filter(pk=row.pk).update(updated_at=timezone.now(), **fields)
    cache.delete(f"summary-starts:{row.pk}")
    row.refresh_from_db()
    return row


def redo_deferred_summaries(*, limit: int = 3) -> list[int]:
    """Beat task: run the model on summaries made without it (summaries.llm_breaker), updating
    each in place (same version: its content gets better, its history does not change). Stops at
    the first that is deferred again (the breaker is still open: the next run tries again)."""
    redone: list[int] = []
    for summary_id in selectors.deferred_summary_ids(limit=limit):
        summary = Summary.objects.select_related("meeting").get(pk=summary_id)
        segs, names = selectors.meeting_input(summary.meeting)
        result = summarize(segs, names, deadline=time.monotonic() + 0.6 * settings.SUMMARY_TIME_LIMIT_SECONDS)
        if result["model_deferred"]:
            break
        with transaction.atomic():
            updated = Summary.objects.filter(
                pk=summary_id, status=Summary.Status.DONE, model_deferred=True
            ).update(
                summary=result["summary"],
                summary_segments=result["summary_segments"],
                decisions=result["decisions"],
                action_items=result["action_items"],
                model_name=result["model_name"],
                model_deferred=False,
                updated_at=timezone.now(),
            )
        if updated:
            logger.info("summary %s redone with the model", summary_id)
            redone.append(summary_id)
    return redone


def fail_summary(*, summary_id: int, reason: str) -> None:
    """The task gave up (time limit, retries exhausted): say why instead of staying RUNNING."""
    Summary.objects.filter(pk=summary_id, status__in=[Summary.Status.QUEUED, Summary.Status.RUNNING]).update(
        status=Summary.Status.FAILED, error=reason[:1000], updated_at=timezone.now()
    )


def summary_markdown(summary: Summary) -> str:
    lines = [line.strip() for line in summary.summary.splitlines() if line.strip()]
    context = {"summary": summary, "meeting": summary.meeting, "summary_lines": lines}
    return render_to_string("summaries/summary.md", context)


def email_summary(*, summary_id: int) -> bool:
    """E-mail a finished summary, once (emailed_at), to the participants with an address whom
    rooms.selectors.record_recipients allows."""
    summary = Summary.objects.select_related("meeting__room__organization").get(pk=summary_id)
    meeting = summary.meeting
    if summary.status != Summary.Status.DONE or not meeting.room.organization.email_summaries:
        return False
    # Only people the records rule lets read the meeting (removed participants are not).
    recipients = sorted({u.email for u in record_recipients(meeting) if u.email and "@" in u.email})
    if not recipients:
        return False
    # Claim first: a second worker (or a redelivered task) finds emailed_at set and sends nothing.
    claimed = Summary.objects.filter(pk=summary_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    subject = f"Summary: {meeting.room.name}, {meeting.started_at:%Y-%m-%d %H:%M}"
    body = summary_markdown(summary)
    try:  # one message per person: participants do not see each other's addresses
        send_mass_mail(tuple((subject, body, settings.DEFAULT_FROM_EMAIL, [r]) for r in recipients))
    except (OSError, smtplib.SMTPException):
        # The summary itself is done; a later call may send it.
        logger.exception("e-mail of summary %s failed", summary_id)
        Summary.objects.filter(pk=summary_id).update(emailed_at=None)
        return False
    return True
