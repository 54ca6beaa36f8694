"""Reads for transcripts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from rooms.models import Meeting
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


def room_name(room_id: int) -> str:
    """The room's name ("" for a room that is gone): part of the captions decoder's prompt."""
    from rooms.models import Room

    return Room.objects.filter(pk=room_id).values_list("name", flat=True).first() or ""
