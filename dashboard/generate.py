"""Generated meetings for the dashboard's tests and bench/dashboard.py: rooms, people (members and
guests), chat, transcripts with segments and summaries, spread over the last days, made in bulk."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

from accounts.models import Organization, User
from rooms.models import ChatMessage, Meeting, Participant, Room
from summaries.models import Summary
from transcripts.models import Segment, Transcript


@contextlib.contextmanager
def _stored_times(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk_create keep the generated times of auto_now_add fields (it would stamp "now")."""
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, v in zip(fields, saved, strict=True):
            f.auto_now_add = v


def _field(model: type[models.Model], name: str) -> models.DateTimeField:
    return model._meta.get_field(name)  # type: ignore[return-value]


@dataclass(frozen=True)
class Generated:
    meetings: int
    participants: int
    segments: int
    summaries: int


@transaction.atomic
def generate(
    *,
    organization: Organization,
    users: list[User],
    rooms: list[Room],
    meetings: int,
    days: int = 90,
    seed: int = 14,
    now: datetime | None = None,
) -> Generated:
    """``meetings`` ended meetings in ``rooms`` over the last ``days`` days (none live), each with
    1-6 participants (``users`` and guests), a chat message, and for every other meeting a
    transcript with segments and a summary."""
    assert rooms and all(r.organization_id == organization.id for r in rooms)
    rng = random.Random(seed)
    now = now or timezone.now()
    # Every meeting starts and ends inside the dashboard's range of ``days`` days, which begins at
    # the local midnight ``days - 1`` days ago (not ``days * 24`` hours ago: just after midnight
    # those differ by almost a day).
    first = timezone.localdate(now) - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    span = int((now - since).total_seconds())
    newest = min(3600, span // 2)
    with _stored_times(
        _field(Meeting, "started_at"),
        _field(Participant, "joined_at"),
        _field(ChatMessage, "created_at"),
        _field(Summary, "created_at"),
    ):
        made = []
        for _ in range(meetings):
            start = now - timedelta(seconds=rng.randint(newest, span))
            length = timedelta(minutes=rng.randint(5, 60))
            made.append(Meeting(room=rng.choice(rooms), started_at=start, ended_at=min(start + length, now)))
        made = Meeting.objects.bulk_create(made, batch_size=2000)
        people, chat, transcripts = [], [], []
        for m in made:
            for i in range(rng.randint(1, 6)):
                user = rng.choice(users) if users and rng.random() < 0.7 else None
                joined = m.started_at + timedelta(seconds=rng.randint(0, 120))
                people.append(
                    Participant(
                        meeting=m,
                        user=user,
                        display_name=user.name if user else f"Guest {i}",
                        guest_key="" if user else f"g{m.pk}-{i}",
                        joined_at=joined,
                        left_at=max(joined, m.ended_at - timedelta(seconds=rng.randint(0, 120))),
                        left_reason="left",
                    )
                )
            chat.append(ChatMessage(meeting=m, author_name="Alice", text="hello", created_at=m.started_at))
            if m.pk % 2 == 0:
                transcripts.append(Transcript(meeting=m, status=Transcript.Status.COMPLETE))
        Participant.objects.bulk_create(people, batch_size=5000)
        ChatMessage.objects.bulk_create(chat, batch_size=5000)
        transcripts = Transcript.objects.bulk_create(transcripts, batch_size=2000)
        segments, summaries = [], []
        for t in transcripts:
            for s in range(3):
                segments.append(
                    Segment(transcript=t, speaker="Alice", start=s * 20.0, end=s * 20.0 + 15.0, text="words")
                )
            summaries.append(
                Summary(meeting_id=t.meeting_id, status=Summary.Status.DONE, summary="ok", created_at=now)
            )
        Segment.objects.bulk_create(segments, batch_size=5000)
        Summary.objects.bulk_create(summaries, batch_size=2000)
    return Generated(
        meetings=len(made), participants=len(people), segments=len(segments), summaries=len(summaries)
    )
