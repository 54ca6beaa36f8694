from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization


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
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
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
