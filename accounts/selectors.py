"""Reads for accounts and organizations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.models import Invitation, Membership, Organization


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
