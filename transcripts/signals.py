"""Signals the transcripts app sends to the apps above it (connected in their AppConfig.ready())."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once the transaction that completed a meeting's transcript has committed;
# keyword argument: meeting_id (int).
transcript_completed = Signal()
