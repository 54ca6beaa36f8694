"""Writes of the retention policy and of record deletion: the policy itself, the beat task's
batched deletions, and a host's or admin's "delete this meeting's records now".

What a record is here: a transcript's lines (the segments; the empty transcript stays, so its page
says there is nothing), the chat messages, and the summaries. Meetings, attendance and the usage
figures made from them are kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEntry, Membership, Organization, User
from dashboard.models import RetentionPolicy
from rooms import selectors as room_selectors
from rooms.models import ChatMessage, Meeting
from summaries.models import Summary
from transcripts.models import Segment

logger = logging.getLogger(__name__)

MIN_AUDIT_DAYS = 30  # the audit log outlives the actions it records by at least this


def policy_of(organization: Organization) -> RetentionPolicy:
    return RetentionPolicy.objects.filter(organization=organization).first() or RetentionPolicy(
        organization=organization
    )


@transaction.atomic
def set_policy(*, organization: Organization, by: User, **days: int | None) -> RetentionPolicy:
    """Set each kind's days (None: keep forever). Owners and admins only; audited with the change."""
    m = Membership.objects.filter(organization=organization, user=by).first()
    if m is None or not m.is_manager:
        raise PermissionDenied("Only owners and admins set the retention policy.")
    unknown = set(days) - set(RetentionPolicy.KINDS)
    if unknown:
        raise ValidationError(f"Unknown record kind: {', '.join(sorted(unknown))}.")
    if any(value is not None and value < 1 for value in days.values()):
        raise ValidationError("Keep records at least 1 day, or forever (empty).")
    if days.get("audit_days") is not None and days["audit_days"] < MIN_AUDIT_DAYS:
        raise ValidationError(f"Keep the audit log at least {MIN_AUDIT_DAYS} days, or forever (empty).")
    policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(organization=organization)
    changes = {
        k: f"{_words(getattr(policy, k))} -> {_words(v)}" for k, v in days.items() if getattr(policy, k) != v
    }
    for kind, value in days.items():
        setattr(policy, kind, value)
    policy.updated_by = by
    policy.save()
    if changes:
        audit.record(
            organization_id=organization.id,
            action=audit.Action.RETENTION_CHANGE,
            actor=by,
            target=organization.name,
            detail=changes,
        )
    return policy


def _words(days: int | None) -> str:
    return "forever" if days is None else f"{days} days"


@dataclass
class Deleted:
    segments: int = 0
    chat_messages: int = 0
    summaries: int = 0
    audit_entries: int = 0

    def total(self) -> int:
        return self.segments + self.chat_messages + self.summaries + self.audit_entries


def _delete_in_batches(qs: models.QuerySet, batch: int) -> int:
    """Delete what ``qs`` selects, ``batch`` rows a transaction (no long lock, no huge statement)."""
    done = 0
    while True:
        with transaction.atomic():
            ids = list(qs.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return done
            qs.model.objects.filter(pk__in=ids).delete()
        done += len(ids)


def _ended_before(organization_id: int, days: int, now) -> models.QuerySet:  # type: ignore[no-untyped-def]
    return Meeting.objects.filter(
        room__organization_id=organization_id, ended_at__isnull=False, ended_at__lt=now - timedelta(days=days)
    ).values("pk")


def apply_policy(policy: RetentionPolicy, *, now=None, batch: int | None = None) -> Deleted:  # type: ignore[no-untyped-def]
    """Delete one organization's records older than its policy says; one audit entry if any went."""
    now = now or timezone.now()
    batch = batch or settings.RETENTION_BATCH_SIZE
    org_id = policy.organization_id
    deleted = Deleted()
    if policy.transcript_days is not None:
        old = _ended_before(org_id, policy.transcript_days, now)
        deleted.segments = _delete_in_batches(Segment.objects.filter(transcript__meeting__in=old), batch)
    if policy.chat_days is not None:
        chat = ChatMessage.objects.filter(
            meeting__room__organization_id=org_id,
            meeting__ended_at__isnull=False,
            created_at__lt=now - timedelta(days=policy.chat_days),
        )
        deleted.chat_messages = _delete_in_batches(chat, batch)
    if policy.summary_days is not None:
        old = _ended_before(org_id, policy.summary_days, now)
        deleted.summaries = _delete_in_batches(Summary.objects.filter(meeting__in=old), batch)
    if policy.audit_days is not None:
        entries = AuditEntry.objects.filter(
            organization_id=org_id, created_at__lt=now - timedelta(days=policy.audit_days)
        )
        deleted.audit_entries = _delete_in_batches(entries, batch)
    if deleted.total():
        audit.record(
            organization_id=org_id,
            action=audit.Action.RETENTION_RUN,
            actor=None,
            target="retention policy",
            detail={k: v for k, v in vars(deleted).items() if v},
        )
        logger.info("Retention deleted %s for organization %s", vars(deleted), org_id)
    return deleted


def apply_all(*, now=None, batch: int | None = None) -> dict[int, Deleted]:  # type: ignore[no-untyped-def]
    """Every organization's policy (the beat task)."""
    policies = RetentionPolicy.objects.exclude(
        transcript_days=None, chat_days=None, summary_days=None, audit_days=None
    ).order_by("pk")
    return {p.organization_id: apply_policy(p, now=now, batch=batch) for p in policies}


@transaction.atomic
def delete_meeting_records(*, meeting: Meeting, by: User) -> Deleted:
    """A meeting's transcript lines, chat and summaries, at once: its hosts (the room's creator,
    the organization's owners and admins). Refused while the meeting goes on."""
    meeting = Meeting.objects.select_related("room").select_for_update(of=("self",)).get(pk=meeting.pk)
    if not room_selectors.is_room_host(by, meeting.room):
        raise PermissionDenied(
            "Only the room's hosts and the organization's owners and admins delete its records."
        )
    if meeting.ended_at is None:
        raise ValidationError("The meeting is going on: delete its records after it ends.")
    deleted = Deleted(
        segments=Segment.objects.filter(transcript__meeting=meeting).delete()[0],
        chat_messages=ChatMessage.objects.filter(meeting=meeting).delete()[0],
        summaries=Summary.objects.filter(meeting=meeting).delete()[0],
    )
    audit.record(
        organization_id=meeting.room.organization_id,
        action=audit.Action.RECORDS_DELETE,
        actor=by,
        target=f"{meeting.room.name}, {timezone.localtime(meeting.started_at):%Y-%m-%d %H:%M}",
        detail={"meeting": meeting.id, **{k: v for k, v in vars(deleted).items() if v}},
    )
    return deleted
