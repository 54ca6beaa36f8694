from __future__ import annotations

from django.db import models

from accounts.models import Organization, User


class RetentionPolicy(models.Model):
    """How long an organization keeps each kind of meeting record; None: forever (the default).

    Days count from the meeting's end (chat: from the message). The beat task
    dashboard.tasks.apply_retention deletes what is older, in batches, and logs each run in the
    audit log; a meeting still going on is never touched."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="retention")
    transcript_days = models.PositiveIntegerField(null=True, blank=True)
    chat_days = models.PositiveIntegerField(null=True, blank=True)
    summary_days = models.PositiveIntegerField(null=True, blank=True)
    audit_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"Retention of {self.organization}"

    KINDS = ("transcript_days", "chat_days", "summary_days", "audit_days")

    @property
    def keeps_everything(self) -> bool:
        return all(getattr(self, k) is None for k in self.KINDS)
