"""Writes for accounts and organizations."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Invitation, Membership, Organization, User
from accounts.slugs import unique_slug


@transaction.atomic
def create_user(*, username: str, password: str, email: str = "", display_name: str = "") -> User:
    """A new local account, with an organization of its own so it can create rooms at once."""
    user = User.objects.create_user(username=username, password=password, email=email)
    user.display_name = display_name.strip()[:100]
    user.save(update_fields=["display_name"])
    setup_personal_organization(user=user)
    return user


@transaction.atomic
def setup_personal_organization(*, user: User) -> Organization:
    org = Organization.objects.create(
        name=f"{user.name}'s organization"[:100],
        slug=unique_slug(Organization, slugify(user.username) or "org"),
    )
    Membership.objects.create(organization=org, user=user, role=Membership.Role.OWNER)
    return org


def update_profile(*, user: User, display_name: str) -> User:
    user.display_name = display_name.strip()[:100]
    user.save(update_fields=["display_name"])
    return user


def _require_manager(organization: Organization, user: User) -> Membership:
    m = Membership.objects.filter(organization=organization, user=user).first()
    if m is None or not m.is_manager:
        raise PermissionDenied("Only owners and admins can manage members.")
    return m


@transaction.atomic
def create_organization(*, name: str, owner: User) -> Organization:
    org = Organization.objects.create(
        name=name.strip()[:100], slug=unique_slug(Organization, slugify(name) or "org")
    )
    Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org


@transaction.atomic
def invite_member(*, organization: Organization, email: str, role: str, invited_by: User) -> Invitation:
    manager = _require_manager(organization, invited_by)
    if role not in Membership.Role.values:
        raise ValidationError("Unknown role.")
    if role == Membership.Role.OWNER and manager.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners can invite owners.")
    invitation = Invitation.objects.create(
        organization=organization, email=email, role=role, invited_by=invited_by
    )
    link = f"{settings.SITE_ROOT}/invitations/{invitation.token}/"
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {organization.name}",
            f"{invited_by.name} invited you to join {organization.name} on {settings.SITE_NAME}.\n\n{link}\n",
            None,
            [email],
            fail_silently=True,
        )
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation was already used.")
    membership, created = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def set_member_role(*, membership: Membership, role: str, by: User) -> Membership:
    manager = _require_manager(membership.organization, by)
    if role not in Membership.Role.values:
        raise ValidationError("Unknown role.")
    if Membership.Role.OWNER in (role, membership.role) and manager.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners can change owners.")
    if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
        _keep_one_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, by: User) -> None:
    if membership.user_id != by.id:  # leaving is always allowed
        manager = _require_manager(membership.organization, by)
        if membership.role == Membership.Role.OWNER and manager.role != Membership.Role.OWNER:
            raise PermissionDenied("Only owners can remove owners.")
    if membership.role == Membership.Role.OWNER:
        _keep_one_owner(membership)
    membership.delete()


def _keep_one_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        organization=membership.organization, role=Membership.Role.OWNER
    )
    if owners.exclude(pk=membership.pk).count() == 0:
        raise ValidationError("An organization needs at least one owner.")


@transaction.atomic
def set_organization_settings(*, organization: Organization, by: User, email_summaries: bool) -> Organization:
    _require_manager(organization, by)
    organization.email_summaries = email_summaries
    organization.save(update_fields=["email_summaries"])
    return organization
