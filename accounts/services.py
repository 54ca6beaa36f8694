"""Writes for accounts and organizations."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import audit, verification
from accounts.models import Invitation, Membership, Organization, User, new_token
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


def update_profile(*, user: User, display_name: str, email: str | None = None) -> User:
    """A changed address is unverified until its own link is followed (send_verification_email)."""
    user.display_name = display_name.strip()[:100]
    fields = ["display_name"]
    if email is not None and email.strip().lower() != user.email.lower():
        user.email, user.email_verified = email.strip(), False
        fields += ["email", "email_verified"]
    user.save(update_fields=fields)
    return user


def verification_link(user: User) -> str:
    return f"{settings.SITE_ROOT}/accounts/verify/{verification.make_token(user)}/"


def send_verification_email(*, user: User) -> str:
    """Mail a verification link for the account's current address (after commit); returns the link."""
    if not user.email:
        raise ValidationError("Add an e-mail address to your profile first.")
    link = verification_link(user)
    transaction.on_commit(
        lambda: send_mail(
            f"Verify your e-mail address for {settings.SITE_NAME}",
            f"Follow this link to verify {user.email} for {user.username} on {settings.SITE_NAME}:\n\n"
            f"{link}\n\nThe link works for {settings.EMAIL_VERIFICATION_TTL_DAYS} days.\n",
            None,
            [user.email],
            fail_silently=True,
        )
    )
    return link


@transaction.atomic
def verify_email(*, token: str) -> User:
    user = verification.user_for_token(token)
    if user is None:
        raise ValidationError("This verification link is invalid, expired, or for an older e-mail address.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
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
    audit.record(
        organization_id=organization.id,
        action=audit.Action.INVITATION_SEND,
        actor=invited_by,
        target=email,
        detail={"role": role},
    )
    _mail_invitation(invitation, invited_by)
    return invitation


@transaction.atomic
def resend_invitation(*, invitation: Invitation, by: User) -> Invitation:
    """Send a pending (or expired) invitation again with a new link and a new expiry; the old
    link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    manager = _require_manager(invitation.organization, by)
    if invitation.role == Membership.Role.OWNER and manager.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners can resend owner invitations.")
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError("This invitation was already used or revoked: send a new one.")
    invitation.token = new_token()
    invitation.created_at = timezone.now()
    invitation.save(update_fields=["token", "created_at"])
    audit.record(
        organization_id=invitation.organization_id,
        action=audit.Action.INVITATION_RESEND,
        actor=by,
        target=invitation.email,
        detail={"role": invitation.role},
    )
    _mail_invitation(invitation, by)
    return invitation


def _mail_invitation(invitation: Invitation, by: User) -> None:
    organization, email = invitation.organization, invitation.email
    link = f"{settings.SITE_ROOT}/invitations/{invitation.token}/"
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {organization.name}",
            f"{by.name} invited you to join {organization.name} on {settings.SITE_NAME}.\n\n{link}\n",
            None,
            [email],
            fail_silently=True,
        )
    )


def invitation_problem(invitation: Invitation, user: User) -> str:
    """Why ``user`` may not accept ``invitation`` ("" if they may)."""
    if invitation.revoked_at is not None:
        return "This invitation was revoked."
    if invitation.accepted_at is not None:
        return "This invitation was already used."
    if invitation.is_expired:
        return "This invitation has expired. Ask for a new one."
    if user.email.strip().lower() != invitation.email.strip().lower():
        return (
            f"This invitation was sent to {invitation.email}. Log in with the account that has "
            "that address, or set it on your profile and verify it."
        )
    if not user.email_verified:
        return "Verify your e-mail address first: your profile page sends you the link."
    return ""


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    """Single use, before it expires, and only by the verified owner of the invited address."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    user = User.objects.get(pk=user.pk)  # the address and its verification as stored now
    problem = invitation_problem(invitation, user)
    if problem:
        raise ValidationError(problem)
    membership, created = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    manager = _require_manager(invitation.organization, by)
    if invitation.role == Membership.Role.OWNER and manager.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners can revoke owner invitations.")
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation was already used.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(
            organization_id=invitation.organization_id,
            action=audit.Action.INVITATION_REVOKE,
            actor=by,
            target=invitation.email,
            detail={"role": invitation.role},
        )
    return invitation


def _lock_owners(membership: Membership) -> tuple[Membership | None, list[Membership]]:
    """Lock the organization's owner memberships (in pk order, so two requests cannot deadlock),
    then re-read the target: every owner change waits for the one before it, and decides on
    committed roles, so concurrent demotions or removals can never leave no owner."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Membership.Role.OWNER)
        .order_by("pk")
    )
    target = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    return target, owners


def _keep_one_owner(target: Membership, owners: list[Membership]) -> None:
    if target.role == Membership.Role.OWNER and not any(o.pk != target.pk for o in owners):
        raise ValidationError("An organization needs at least one owner.")


@transaction.atomic
def set_member_role(*, membership: Membership, role: str, by: User) -> Membership:
    target, owners = _lock_owners(membership)
    if target is None:
        raise ValidationError("This person is no longer a member.")
    manager = _require_manager(target.organization, by)
    if role not in Membership.Role.values:
        raise ValidationError("Unknown role.")
    if Membership.Role.OWNER in (role, target.role) and manager.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners can change owners.")
    if role != Membership.Role.OWNER:
        _keep_one_owner(target, owners)
    if target.role != role:
        audit.record(
            organization_id=target.organization_id,
            action=audit.Action.MEMBER_ROLE,
            actor=by,
            target=target.user.username,
            detail={"from": target.role, "to": role},
        )
    target.role = role
    target.save(update_fields=["role"])
    membership.role = role
    return target


@transaction.atomic
def remove_member(*, membership: Membership, by: User) -> None:
    target, owners = _lock_owners(membership)
    if target is None:
        return  # already gone
    if target.user_id != by.id:  # leaving is always allowed
        manager = _require_manager(target.organization, by)
        if target.role == Membership.Role.OWNER and manager.role != Membership.Role.OWNER:
            raise PermissionDenied("Only owners can remove owners.")
    _keep_one_owner(target, owners)
    leaving = target.user_id == by.id
    audit.record(
        organization_id=target.organization_id,
        action=audit.Action.MEMBER_LEAVE if leaving else audit.Action.MEMBER_REMOVE,
        actor=by,
        target=target.user.username,
        detail={"role": target.role},
    )
    target.delete()


@transaction.atomic
def set_organization_settings(
    *, organization: Organization, by: User, email_summaries: bool, require_sso: bool | None = None
) -> Organization:
    """``require_sso`` None: unchanged. Turning it on needs a provider on this server and an SSO
    log-in linked to the account turning it on (or nobody could log in, them included)."""
    _require_manager(organization, by)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if require_sso is None:
        require_sso = organization.require_sso
    if require_sso and not organization.require_sso:
        if not settings.SOCIAL_AUTH_PROVIDERS:
            raise ValidationError(
                "No single sign-on provider is set up on this server (see the SOCIAL_AUTH_* settings): "
                "members could not log in at all."
            )
        if not by.social_auth.exists():
            raise ValidationError(
                "Log in once with single sign-on first, so that your own account can still log in."
            )
    changes = {}
    for field, value in (("email_summaries", email_summaries), ("require_sso", require_sso)):
        if getattr(organization, field) != value:
            changes[field] = value
            setattr(organization, field, value)
    if changes:
        organization.save(update_fields=list(changes))
        audit.record(
            organization_id=organization.id,
            action=audit.Action.SETTINGS,
            actor=by,
            target=organization.name,
            detail=changes,
        )
    return organization
