"""Errors of the rooms app that callers turn into answers (403 pages, close codes)."""

from __future__ import annotations


class MeetingHidden(Exception):
    """The meeting exists, but this person may not see its records."""
