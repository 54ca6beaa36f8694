"""Helpers for the summary tests: fixture transcripts and meetings with participants and segments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils import timezone

from accounts.models import User
from rooms.models import ChatMessage, Meeting, Participant, Room
from transcripts.extract import SegmentIn
from transcripts.models import Segment, Transcript

MEETINGS = Path(__file__).resolve().parent.parent / "fixtures" / "meetings"


def load_fixture(name: str) -> tuple[list[SegmentIn], list[str], dict[str, Any]]:
    data = json.loads((MEETINGS / f"{name}.json").read_text(encoding="utf-8"))
    expected = json.loads((MEETINGS / f"{name}.expected.json").read_text(encoding="utf-8"))
    segs: list[SegmentIn] = [
        {"id": 100 + i, "speaker": s["speaker"], "text": s["text"]} for i, s in enumerate(data["segments"])
    ]
    return segs, data["participants"], expected


def make_meeting(
    room: Room,
    *,
    fixture: str | None = None,
    users: dict[str, User] | None = None,
    chat: list[tuple[str, str]] | None = None,
) -> Meeting:
    """An ended meeting; with a fixture, its speakers as participants and its lines as segments.

    `users` maps a speaker's name to the account they joined with (the others join as guests).
    """
    users = users or {}
    meeting = Meeting.objects.create(room=room, ended_at=timezone.now())
    transcript = Transcript.objects.create(meeting=meeting, status=Transcript.Status.COMPLETE)
    for name, user in users.items():
        Participant.objects.create(
            meeting=meeting, user=user, display_name=name, is_host=user == room.created_by
        )
    if fixture:
        data = json.loads((MEETINGS / f"{fixture}.json").read_text(encoding="utf-8"))
        for name in data["participants"]:
            if name not in users:
                Participant.objects.create(meeting=meeting, display_name=name, guest_key=name.lower())
        for s in data["segments"]:
            Segment.objects.create(
                transcript=transcript, speaker=s["speaker"], start=s["start"], end=s["end"], text=s["text"]
            )
    for author, text in chat or []:
        ChatMessage.objects.create(meeting=meeting, author_name=author, text=text)
    return meeting
