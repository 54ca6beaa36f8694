"""Celery tasks for rooms: thin, they call a service."""

from __future__ import annotations

from celery import shared_task

from rooms import services


@shared_task(ignore_result=True)
def reap_absent_participants() -> list[int]:
    """Beat task (conference.celery): end participants whose connection is gone (rooms.presence)."""
    return services.reap_absent_participants()
