"""Reads for accounts and organizations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import AuditEntry, Invitation, Membership, Organization


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation as a manager sees it. ``link`` and revoking only for those allowed to manage
    it: an admin never gets an owner invitation's token (it would make them an owner)."""

    id: int
    email: str
    role: str
    role_label: str
    expires_at: datetime
    expired: bool
    link: str | None


def members(organization: Organization, *, search: str = "") -> QuerySet[Membership]:
    """The organization's memberships with each person's last meeting in it (one query a page)."""
    rows = organization.memberships.select_related("user")
    if search:
        rows = rows.filter(
            Q(user__username__icontains=search)
            | Q(user__display_name__icontains=search)
            | Q(user__email__icontains=search)
        )
    in_org = Q(user__participations__meeting__room__organization=organization)
    return rows.annotate(last_meeting=Max("user__participations__joined_at", filter=in_org)).order_by(
        "user__username", "pk"
    )


def requires_sso(user: object) -> list[str]:
    """The names of the user's organizations that require single sign-on (empty: none does)."""
    return list(
        Organization.objects.filter(memberships__user=user, require_sso=True)
        .order_by("name")
        .values_list("name", flat=True)
    )


def may_manage_invitation(manager: Membership, invitation: Invitation) -> bool:
    if not manager.is_manager:
        return False
    return invitation.role != Membership.Role.OWNER or manager.role == Membership.Role.OWNER


def pending_invitations(organization: Organization, viewer: Membership) -> list[PendingInvitation]:
    """Not accepted and not revoked (expired ones too, so they can be revoked and sent again)."""
    if not viewer.is_manager:
        return []
    invitations = organization.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return [
        PendingInvitation(
            id=inv.id,
            email=inv.email,
            role=inv.role,
            role_label=inv.get_role_display(),
            expires_at=inv.expires_at,
            expired=inv.is_expired,
            link=f"/invitations/{inv.token}/" if may_manage_invitation(viewer, inv) else None,
        )
        for inv in invitations.order_by("-created_at")
    ]


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # an AuditEntry.Action value, or "" for all
    actor: str = ""  # a username, or part of one
    text: str = ""  # in the target or the detail
    since: date | None = None
    until: date | None = None  # inclusive


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def audit_entries(organization_id: int, f: AuditFilter) -> QuerySet[AuditEntry]:
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


AUDIT_CSV_HEADER = ["time", "actor", "action", "target", "detail", "address"]


def audit_csv_rows(organization_id: int, f: AuditFilter) -> Iterator[list[Any]]:
    yield AUDIT_CSV_HEADER
    labels = dict(AuditEntry.Action.choices)
    for e in audit_entries(organization_id, f).iterator(chunk_size=2000):
        detail = "; ".join(f"{k}={v}" for k, v in sorted(e.detail.items()))
        yield [
            e.created_at.isoformat(),
            e.actor_name or "system",
            labels.get(e.action, e.action),
            e.target,
            detail,
            e.address or "",
        ]
