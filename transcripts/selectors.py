"""Reads for transcripts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from rooms.models import Meeting
from rooms.selectors import can_view_meeting
from transcripts.models import Segment, Transcript

MAX_QUERY_WORDS = 8


def transcript_of(meeting: Meeting) -> Transcript | None:
    return Transcript.objects.filter(meeting=meeting).first()


def query_words(q: str) -> list[str]:
    """The words of a search box query (bounded, so a pasted essay stays a cheap query)."""
    return [w for w in q.split() if w][:MAX_QUERY_WORDS]


def segments_of(meeting: Meeting, *, q: str = "") -> QuerySet[Segment]:
    """The meeting's segments in spoken order; with ``q``, those containing every word of it
    (in the text or the speaker's name)."""
    qs = Segment.objects.filter(transcript__meeting=meeting).order_by("start", "id")
    for word in query_words(q):
        qs = qs.filter(Q(text__icontains=word) | Q(speaker__icontains=word))
    return qs


def viewable_meeting(request: HttpRequest, meeting_id: int, what: str) -> Meeting:
    """The meeting, for its participants and the organization's owners/admins; 403 for others."""
    meeting = get_object_or_404(Meeting.objects.select_related("room__organization"), pk=meeting_id)
    if not can_view_meeting(request.user, meeting):
        raise PermissionDenied(
            f"Only the meeting's participants and the organization's admins see its {what}."
        )
    return meeting
