"""Signals the rooms app sends to the apps above it (connected in their AppConfig.ready())."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by services.end_meeting inside its transaction, once the meeting and its participants are
# marked ended; keyword argument: meeting (rooms.models.Meeting, refreshed).
meeting_ended = Signal()
