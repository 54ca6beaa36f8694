from __future__ import annotations

from django.db import models

from rooms.models import Meeting, Participant


class Transcript(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", "Live"
        FLUSHING = "flushing", "Finishing"
        COMPLETE = "complete", "Complete"

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="transcript")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The SFU counts the final requests it sent for the meeting and says so in its flush;
    # the transcript is complete once that many have been processed (by any worker).
    finals_expected = models.IntegerField(null=True, blank=True)
    finals_done = models.IntegerField(default=0)
    # The SFU worker whose flush set finals_expected ("": count every final of the meeting).
    finals_source = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"Transcript of {self.meeting}"


class Segment(models.Model):
    """One final caption: who said what, in seconds from the meeting start."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    speaker = models.CharField(max_length=100)
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    utterance = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            # A final request delivered twice stores one segment.
            models.UniqueConstraint(
                fields=["transcript", "utterance"],
                condition=~models.Q(utterance=""),
                name="one_segment_per_utterance",
            )
        ]

    def __str__(self) -> str:
        return f"{self.speaker} {self.start:.1f}s: {self.text[:40]}"


class ProcessedFinal(models.Model):
    """A final request that was counted in ``finals_done`` (with or without a segment): a request
    delivered twice, even one with no words, is counted once."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="processed_finals")
    utterance = models.CharField(max_length=64)
    source = models.CharField(max_length=64, blank=True, default="")  # the SFU worker that sent it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transcript", "utterance"], name="one_count_per_utterance")
        ]

    def __str__(self) -> str:
        return self.utterance
