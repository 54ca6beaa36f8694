"""Reads of the audit log: one organization's entries, filtered, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # an AuditEntry.Action value, or "" for all
    actor: str = ""  # a username, or part of one
    text: str = ""  # in the target or the detail
    since: date | None = None
    until: date | None = None  # inclusive


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def entries(organization_id: int, f: AuditFilter) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.filter(organization_id=organization_id)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.actor:
        qs = qs.filter(actor_name__icontains=f.actor)
    if f.text:
        qs = qs.filter(Q(target__icontains=f.text) | Q(detail__icontains=f.text))
    if f.since:
        qs = qs.filter(created_at__gte=_midnight(f.since))
    if f.until:
        qs = qs.filter(created_at__lt=_midnight(f.until + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


CSV_HEADER = ["time", "actor", "action", "target", "detail", "address"]


def csv_rows(organization_id: int, f: AuditFilter) -> Iterator[list[Any]]:
    yield CSV_HEADER
    labels = dict(AuditEntry.Action.choices)
    for e in entries(organization_id, f).iterator(chunk_size=2000):
        detail = "; ".join(f"{k}={v}" for k, v in sorted(e.detail.items()))
        yield [
            e.created_at.isoformat(),
            e.actor_name or "system",
            labels.get(e.action, e.action),
            e.target,
            detail,
            e.address or "",
        ]
