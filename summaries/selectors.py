"""Reads for meeting summaries."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef

from accounts.models import User
from rooms.models import Meeting
from rooms.selectors import is_room_host
from summaries.extract import SegmentIn
from summaries.models import Summary
from transcripts.models import Segment


def can_summarize(user: User | None, meeting: Meeting) -> bool:
    """The room's hosts (its creator, the organization's owners/admins) summarize its meetings."""
    return is_room_host(user, meeting.room)


def latest_summary(meeting: Meeting) -> Summary | None:
    return Summary.objects.filter(meeting=meeting).order_by("-version").first()


def downloadable_summary(meeting: Meeting) -> Summary | None:
    """The latest version with something to download (done, or nothing to summarize)."""
    return (
        Summary.objects.filter(meeting=meeting, status__in=[Summary.Status.DONE, Summary.Status.EMPTY])
        .order_by("-version")
        .first()
    )


def is_busy(summary: Summary | None) -> bool:
    """Queued or running: the page refreshes itself and the button waits."""
    return summary is not None and summary.status in (Summary.Status.QUEUED, Summary.Status.RUNNING)


def deferred_summary_ids(*, limit: int) -> list[int]:
    """Summaries made without the model (summaries.llm_breaker) that are their meeting's latest
    version, oldest first."""
    newer = Summary.objects.filter(meeting=OuterRef("meeting"), version__gt=OuterRef("version"))
    rows = Summary.objects.filter(status=Summary.Status.DONE, model_deferred=True).exclude(Exists(newer))
    return list(rows.order_by("updated_at", "pk").values_list("pk", flat=True)[:limit])


def meeting_input(meeting: Meeting) -> tuple[list[SegmentIn], list[str]]:
    """Transcript segments then chat messages (chat ids are negative) and the participants' names."""
    segs: list[SegmentIn] = [
        {"id": s.id, "speaker": s.speaker, "text": s.text, "start": s.start, "end": s.end}
        for s in Segment.objects.filter(transcript__meeting=meeting).order_by("start", "id")
        if s.text.strip()
    ]
    segs += [
        {"id": -m.id, "speaker": m.author_name, "text": m.text}
        for m in meeting.chat_messages.order_by("created_at", "id")
        if m.text.strip()
    ]
    names: list[str] = []
    for name in [*meeting.participants.values_list("display_name", flat=True), *(s["speaker"] for s in segs)]:
        if name and name not in names:
            names.append(name)
    return segs, names


def overview_points(summary: Summary) -> list[dict[str, Any]]:
    """The summary's lines with the segments each was said in (none for older summaries)."""
    lines = [line.strip() for line in summary.summary.splitlines() if line.strip()]
    segments = summary.summary_segments if isinstance(summary.summary_segments, list) else []
    return [
        {"text": line, "segments": segments[i] if i < len(segments) and isinstance(segments[i], list) else []}
        for i, line in enumerate(lines)
    ]
