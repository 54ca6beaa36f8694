from __future__ import annotations

from django.db import models

from rooms.models import Meeting


class Summary(models.Model):
    """The summary of one version of a meeting's transcript (regenerating makes a new version)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        EMPTY = "empty", "Nothing to summarize"
        FAILED = "failed", "Failed"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="summaries")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    # [str]
    decisions = models.JSONField(default=list, blank=True)
    # [[segment ids]]: where each line of `summary` (an overview bullet) was said
    summary_segments = models.JSONField(default=list, blank=True)
    # [{"owner": str, "task": str, "due": str|None, "segments": [segment ids]}]
    action_items = models.JSONField(default=list, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    # The model was out (summaries.llm_breaker): the extractor's alone, until the beat task redoes it.
    model_deferred = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "transcripts_summary"  # the table made when summaries lived in transcripts
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["meeting", "version"], name="one_summary_per_version")]

    def __str__(self) -> str:
        return f"Summary v{self.version} of {self.meeting}"
