"""Everything of one meeting as one zip: transcript (text, WebVTT, JSON), chat and summary."""

from __future__ import annotations

import io
import zipfile

from django.utils import timezone

from rooms import selectors as room_selectors
from rooms.models import Meeting
from summaries import selectors as summary_selectors
from summaries import services as summary_services
from transcripts import formats
from transcripts import selectors as transcript_selectors


def chat_text(meeting: Meeting) -> str:
    lines = [f"Chat: {meeting.room.name}, {meeting.started_at:%Y-%m-%d %H:%M} UTC", ""]
    for m in meeting.chat_messages.order_by("created_at", "id"):
        lines.append(f"[{timezone.localtime(m.created_at):%H:%M:%S}] {m.author_name}: {m.text}")
    return "\n".join(lines) + "\n"


def meeting_archive(meeting: Meeting) -> bytes:
    """The zip's bytes (a meeting's records are small: kept in memory)."""
    transcript = transcript_selectors.transcript_of(meeting)
    segments = list(transcript_selectors.segments_of(meeting))
    summary = summary_selectors.downloadable_summary(meeting)
    names = ", ".join(room_selectors.participant_names(meeting))
    readme = (
        f"Meeting {meeting.pk}: {meeting.room.name}\nStarted {meeting.started_at.isoformat()}\n"
        f"Ended {meeting.ended_at.isoformat() if meeting.ended_at else '(going on)'}\nParticipants: {names}\n"
        f"Transcript: {len(segments)} lines; summary: {'yes' if summary else 'none'}\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", readme)
        z.writestr("transcript.txt", formats.as_text(meeting, segments))
        z.writestr("transcript.vtt", formats.as_vtt(segments))
        status = transcript.status if transcript else "none"
        z.writestr("transcript.json", formats.as_json(meeting, status, segments))
        z.writestr("chat.txt", chat_text(meeting))
        if summary is not None:
            z.writestr("summary.md", summary_services.summary_markdown(summary))
    return out.getvalue()
