"""Celery tasks of the dashboard: thin, they call a service."""

from __future__ import annotations

from celery import shared_task

from dashboard import retention


@shared_task(ignore_result=True)
def apply_retention() -> dict[int, int]:
    """Beat task (conference.celery): delete records older than each organization's policy."""
    return {org: d.total() for org, d in retention.apply_all().items()}
