"""Transcript downloads: plain text, WebVTT, JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable

from rooms.models import Meeting
from transcripts.models import Segment


def clock(seconds: float) -> str:
    """mm:ss (h:mm:ss past an hour), as shown next to each segment."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def vtt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: these three would start tags or entities.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def as_text(meeting: Meeting, segments: Iterable[Segment]) -> str:
    lines = [f"Transcript: {meeting.room.name}, {meeting.started_at:%Y-%m-%d %H:%M} UTC", ""]
    lines += [f"[{clock(s.start)}] {s.speaker}: {s.text}" for s in segments]
    return "\n".join(lines) + "\n"


def as_vtt(segments: Iterable[Segment]) -> str:
    cues = ["WEBVTT", ""]
    for n, s in enumerate(segments, 1):
        end = max(s.end, s.start + 0.001)
        speaker = _vtt_escape(s.speaker).replace(" ", "\u00a0") if s.speaker else ""
        cues += [
            str(n),
            f"{vtt_time(s.start)} --> {vtt_time(end)}",
            f"<v {speaker}>{_vtt_escape(s.text)}",
            "",
        ]
    return "\n".join(cues)


def as_json(meeting: Meeting, status: str, segments: Iterable[Segment]) -> str:
    data = {
        "meeting": meeting.pk,
        "room": meeting.room.name,
        "started_at": meeting.started_at.isoformat(),
        "ended_at": meeting.ended_at.isoformat() if meeting.ended_at else None,
        "status": status,
        "segments": [
            {
                "speaker": s.speaker,
                "participant": s.participant_id,
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text,
            }
            for s in segments
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1)
