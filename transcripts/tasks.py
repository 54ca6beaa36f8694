"""Celery tasks for transcripts: thin, they call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from transcripts import services


@shared_task(ignore_result=True)
def complete_stuck_transcripts() -> list[int]:
    """Beat task (conference.celery): complete transcripts a dead SFU worker left FLUSHING."""
    older_than = timedelta(seconds=settings.TRANSCRIPT_FLUSH_TIMEOUT_SECONDS)
    return services.complete_stuck_transcripts(older_than=older_than)
