from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    display_name = models.CharField(max_length=100, blank=True)
    # Proof that the person reads mail at ``email`` (a signed link, or an SSO provider that says so).
    # Only what an address grants needs it: accepting an invitation sent to it, SSO linking by it.
    email_verified = models.BooleanField(default=False)

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Organization(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="organizations")
    # E-mail the summary to participants after each meeting.
    email_summaries = models.BooleanField(default=False)
    # Members log in with single sign-on only: the password log-in refuses them (accounts.forms.LoginForm).
    require_sso = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(days=settings.INVITATION_TTL_DAYS)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


class AuditEntry(models.Model):
    """One administrative action in an organization: who did what to what, when, from where."""

    class Action(models.TextChoices):
        MEMBER_ROLE = "member.role", "Role changed"
        MEMBER_REMOVE = "member.remove", "Member removed"
        MEMBER_LEAVE = "member.leave", "Member left"
        INVITATION_SEND = "invitation.send", "Invitation sent"
        INVITATION_RESEND = "invitation.resend", "Invitation sent again"
        INVITATION_REVOKE = "invitation.revoke", "Invitation revoked"
        SETTINGS = "organization.settings", "Settings changed"
        ROOM_CREATE = "room.create", "Room created"
        ROOM_CHANGE = "room.change", "Room changed"
        ROOM_ARCHIVE = "room.archive", "Room archived"
        ROOM_DELETE = "room.delete", "Room deleted"
        RETENTION_CHANGE = "retention.change", "Retention changed"
        RETENTION_RUN = "retention.run", "Retention deleted records"
        RECORDS_DELETE = "records.delete", "Meeting records deleted"
        SUMMARY_REGENERATE = "summary.regenerate", "Summary regenerated"
        MEETING_LOCK = "meeting.lock", "Room locked or unlocked"
        MEETING_MUTE = "meeting.mute", "Participant muted by a host"
        MEETING_ALLOW_UNMUTE = "meeting.allow_unmute", "Host allowed unmuting"
        MEETING_REMOVE = "meeting.remove", "Participant removed by a host"
        MEETING_READMIT = "meeting.readmit", "Removed participant let back in"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # kept: the account may go ("" = the system)
    action = models.CharField(max_length=40, choices=Action.choices)
    target = models.CharField(max_length=200, blank=True)  # what it was done to, in words
    detail = models.JSONField(default=dict, blank=True)  # e.g. {"from": "member", "to": "admin"}
    address = models.GenericIPAddressField(null=True, blank=True)  # the client's, when there was one
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="audit_org_time")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'}: {self.get_action_display()}"
