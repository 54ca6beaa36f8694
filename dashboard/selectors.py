"""Reads for the organization dashboard: usage series, top rooms, most active people, the meeting list.

Every figure is computed in the database, grouped by day or week: a fixed number of queries
whatever the number of meetings (asserted in dashboard/tests/test_usage.py, timed by
bench/dashboard.py). Meetings count in the bucket they started in; so do their participants,
captions and summaries. Peak concurrency counts everyone present at once across the organization.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Now, Trunc
from django.utils import timezone

from rooms.models import ChatMessage, Meeting, Participant, Room
from summaries.models import Summary
from transcripts.models import Segment, Transcript

RANGES = (7, 30, 90)  # days a dashboard can show
GROUPINGS = ("day", "week")
DEFAULT_RANGE, DEFAULT_GROUPING = 30, "day"
TOP = 10

# (key, label) of each series, in the order of the charts.
METRICS: tuple[tuple[str, str], ...] = (
    ("meetings", "Meetings"),
    ("meeting_minutes", "Meeting minutes"),
    ("participant_minutes", "Participant minutes"),
    ("people", "Distinct people"),
    ("peak", "Peak concurrent participants"),
    ("caption_minutes", "Caption minutes"),
    ("summaries", "Summaries"),
)
METRIC_KEYS = tuple(k for k, _ in METRICS)

_MEETING_TIME = ExpressionWrapper(
    Coalesce(F("ended_at"), Now()) - F("started_at"), output_field=DurationField()
)
_ATTENDED = ExpressionWrapper(Coalesce(F("left_at"), Now()) - F("joined_at"), output_field=DurationField())


@dataclass(frozen=True)
class Period:
    days: int
    grouping: str  # "day" or "week"
    since: datetime  # the first day's midnight, local time
    starts: list[date]  # each bucket's first day

    @property
    def label(self) -> str:
        return f"last {self.days} days, per {self.grouping}"


def period(days: int, grouping: str, *, now: datetime | None = None) -> Period:
    """The last ``days`` days up to today, in buckets of a day or a (Monday-first) week."""
    if days not in RANGES or grouping not in GROUPINGS:
        raise ValueError("unknown range")
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    if grouping == "day":
        starts = [first + timedelta(days=i) for i in range(days)]
    else:
        monday = first - timedelta(days=first.weekday())
        starts = [monday + timedelta(weeks=i) for i in range((today - monday).days // 7 + 1)]
    return Period(days=days, grouping=grouping, since=since, starts=starts)


@dataclass(frozen=True)
class Bucket:
    start: date
    values: dict[str, int]


@dataclass(frozen=True)
class Usage:
    period: Period
    buckets: list[Bucket]
    totals: dict[str, int]
    top_rooms: list[dict[str, Any]] = field(default_factory=list)
    top_people: list[dict[str, Any]] = field(default_factory=list)

    def series(self, key: str) -> list[tuple[date, int]]:
        return [(b.start, b.values[key]) for b in self.buckets]


def _day(value: date | datetime | str | None) -> date | None:
    """A bucket's start as a date, whatever the backend returned (aware datetime, naive, text)."""
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def minutes_of(d: timedelta | float | None) -> int:
    if d is None:
        return 0
    seconds = d.total_seconds() if isinstance(d, timedelta) else float(d)
    return round(seconds / 60)


def org_meetings(organization_id: int, since: datetime) -> QuerySet[Meeting]:
    return Meeting.objects.filter(room__organization_id=organization_id, started_at__gte=since)


def _peak_by_bucket(organization_id: int, p: Period) -> dict[date, int]:
    """Most people present at once in the organization's meetings, per bucket: a running sum of
    +1 at each join and -1 at each leave (leaves first at equal times), its maximum per bucket."""
    q = connection.ops.quote_name
    part, meet, room = Participant._meta.db_table, Meeting._meta.db_table, Room._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    since = connection.ops.adapt_datetimefield_value(p.since)
    scope = (
        f"FROM {q(part)} p JOIN {q(meet)} m ON m.id = p.meeting_id JOIN {q(room)} r ON r.id = m.room_id "
        "WHERE r.organization_id = %s AND m.started_at >= %s"
    )
    tzname = timezone.get_current_timezone_name()
    trunc, trunc_params = connection.ops.datetime_trunc_sql(p.grouping, "t", (), tzname)
    # The participants are read once (pp), then each gives a +1 and a -1 event.
    sql = (
        f"WITH pp AS (SELECT p.joined_at AS j, COALESCE(p.left_at, %s) AS l {scope}), "
        "ev AS (SELECT j AS t, 1 AS d FROM pp UNION ALL SELECT l AS t, -1 AS d FROM pp), "
        "running AS (SELECT t, SUM(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS c FROM ev) "
        f"SELECT {trunc} AS b, MAX(c) FROM running GROUP BY 1"
    )
    params = [now, organization_id, since, *trunc_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {_day(b): int(c or 0) for b, c in cursor.fetchall()}  # type: ignore[misc]


def usage(organization_id: int, p: Period) -> Usage:
    """The dashboard's series, totals, top rooms and most active people: nine queries."""
    meetings = org_meetings(organization_id, p.since)
    # Joined straight to their meetings (not ``meeting__in``): one join serves filter and bucket.
    in_range = {"room__organization_id": organization_id, "started_at__gte": p.since}
    participants = Participant.objects.filter(**{f"meeting__{k}": v for k, v in in_range.items()})
    kind = p.grouping
    rows: dict[date, dict[str, int]] = {s: dict.fromkeys(METRIC_KEYS, 0) for s in p.starts}

    def put(day: Any, key: str, value: int) -> None:
        start = _day(day)
        if start in rows:
            rows[start][key] = value

    for r in (
        meetings.annotate(b=Trunc("started_at", kind))
        .values("b")
        .annotate(n=Count("id"), t=Sum(_MEETING_TIME))
        .order_by()
    ):
        put(r["b"], "meetings", r["n"])
        put(r["b"], "meeting_minutes", minutes_of(r["t"]))
    people = Count("user", distinct=True) + Count("guest_key", distinct=True, filter=Q(user__isnull=True))
    for r in (
        participants.annotate(b=Trunc("meeting__started_at", kind))
        .values("b")
        .annotate(t=Sum(_ATTENDED), n=people)
        .order_by()
    ):
        put(r["b"], "participant_minutes", minutes_of(r["t"]))
        put(r["b"], "people", r["n"])
    segments = Segment.objects.filter(**{f"transcript__meeting__{k}": v for k, v in in_range.items()})
    for r in (
        segments.annotate(b=Trunc("transcript__meeting__started_at", kind))
        .values("b")
        .annotate(t=Sum(F("end") - F("start")))
        .order_by()
    ):
        put(r["b"], "caption_minutes", minutes_of(r["t"]))
    summaries = Summary.objects.filter(
        status=Summary.Status.DONE, **{f"meeting__{k}": v for k, v in in_range.items()}
    )
    for r in (
        summaries.annotate(b=Trunc("meeting__started_at", kind))
        .values("b")
        .annotate(n=Count("id"))
        .order_by()
    ):
        put(r["b"], "summaries", r["n"])
    for day, peak in _peak_by_bucket(organization_id, p).items():
        put(day, "peak", peak)

    buckets = [Bucket(start=s, values=rows[s]) for s in p.starts]
    totals = {k: sum(b.values[k] for b in buckets) for k in METRIC_KEYS}
    totals["peak"] = max((b.values["peak"] for b in buckets), default=0)
    totals["people"] = participants.aggregate(n=people)["n"] or 0  # distinct over the whole range
    return Usage(
        period=p,
        buckets=buckets,
        totals=totals,
        top_rooms=top_rooms(meetings),
        top_people=top_people(participants),
    )


def top_rooms(meetings: QuerySet[Meeting]) -> list[dict[str, Any]]:
    rows = (
        meetings.values("room_id", "room__name", "room__slug")
        .annotate(meetings=Count("id"), t=Sum(_MEETING_TIME))
        .order_by("-meetings", "room__name")[:TOP]
    )
    return [
        {
            "name": r["room__name"],
            "slug": r["room__slug"],
            "meetings": r["meetings"],
            "minutes": minutes_of(r["t"]),
        }
        for r in rows
    ]


def _person_name(display: str, first: str, last: str, username: str) -> str:
    return display or f"{first} {last}".strip() or username  # as User.name


def top_people(participants: QuerySet[Participant]) -> list[dict[str, Any]]:
    rows = (
        participants.filter(user__isnull=False)
        .values("user_id", "user__username", "user__display_name", "user__first_name", "user__last_name")
        .annotate(t=Sum(_ATTENDED), meetings=Count("meeting", distinct=True))
        .order_by("-t", "user__username")[:TOP]
    )
    return [
        {
            "name": _person_name(
                r["user__display_name"], r["user__first_name"], r["user__last_name"], r["user__username"]
            ),
            "username": r["user__username"],
            "meetings": r["meetings"],
            "minutes": minutes_of(r["t"]),
        }
        for r in rows
    ]


def meeting_list(organization_id: int, since: datetime) -> QuerySet[Meeting]:
    """The organization's meetings since ``since``, newest first, each with its participant count,
    participant minutes and summary count as subqueries (no join fan-out, one query a page)."""
    per_meeting = Participant.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting")
    joined = per_meeting.annotate(n=Count("id")).values("n")
    attended = per_meeting.annotate(t=Sum(_ATTENDED)).values("t")
    done = (
        Summary.objects.filter(meeting=OuterRef("pk"), status=Summary.Status.DONE)
        .order_by()
        .values("meeting")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        org_meetings(organization_id, since)
        .select_related("room")
        .annotate(
            joins=Coalesce(Subquery(joined), 0),
            attended=Subquery(attended, output_field=DurationField()),
            summaries_done=Coalesce(Subquery(done), 0),
            duration=_MEETING_TIME,
        )
        .order_by("-started_at", "-id")
    )


MEETING_CSV_HEADER = [
    "meeting",
    "room",
    "started_at",
    "ended_at",
    "meeting_minutes",
    "joins",
    "participant_minutes",
    "summaries",
]


def meeting_csv_rows(organization_id: int, since: datetime) -> Iterator[list[Any]]:
    """The meeting list as CSV rows, read in chunks (a server-side cursor on PostgreSQL)."""
    yield MEETING_CSV_HEADER
    for m in meeting_list(organization_id, since).iterator(chunk_size=2000):
        yield [
            m.id,
            m.room.name,
            m.started_at.isoformat(),
            m.ended_at.isoformat() if m.ended_at else "",
            minutes_of(m.duration),
            m.joins,
            minutes_of(m.attended),
            m.summaries_done,
        ]


def usage_csv_rows(u: Usage) -> Iterator[list[Any]]:
    yield [u.period.grouping, *METRIC_KEYS]
    for b in u.buckets:
        yield [b.start.isoformat(), *(b.values[k] for k in METRIC_KEYS)]


def room_list(
    organization_id: int, *, search: str = "", archived: bool = False, created_by: int | None = None
) -> QuerySet[Room]:
    """The organization's rooms (archived ones, or the others), each with its meeting count and
    last use as subqueries: one query a page. ``created_by``: only that user's rooms."""
    per_room = Meeting.objects.filter(room=OuterRef("pk")).order_by().values("room")
    rooms = Room.objects.filter(organization_id=organization_id, archived_at__isnull=not archived)
    if created_by is not None:
        rooms = rooms.filter(created_by_id=created_by)
    if search:
        rooms = rooms.filter(name__icontains=search)
    return (
        rooms.select_related("created_by")
        .annotate(
            meeting_count=Coalesce(Subquery(per_room.annotate(n=Count("id")).values("n")), 0),
            last_used=Subquery(per_room.annotate(t=Max("started_at")).values("t")),
            live=Exists(Meeting.objects.filter(room=OuterRef("pk"), ended_at__isnull=True)),
        )
        .order_by(F("last_used").desc(nulls_last=True), "name", "id")
    )


@dataclass(frozen=True)
class DeletionCost:
    """What deleting a room deletes with it, said before confirming."""

    meetings: int
    participants: int
    chat_messages: int
    transcripts: int
    summaries: int
    live: bool


def deletion_cost(room: Room) -> DeletionCost:
    meetings = Meeting.objects.filter(room=room)
    return DeletionCost(
        meetings=meetings.count(),
        participants=Participant.objects.filter(meeting__room=room).count(),
        chat_messages=ChatMessage.objects.filter(meeting__room=room).count(),
        transcripts=Transcript.objects.filter(meeting__room=room).count(),
        summaries=Summary.objects.filter(meeting__room=room).count(),
        live=meetings.filter(ended_at__isnull=True).exists(),
    )


def record_counts(meeting: Meeting) -> dict[str, int]:
    """What deleting a meeting's records deletes (dashboard.retention.delete_meeting_records)."""
    return {
        "segments": Segment.objects.filter(transcript__meeting=meeting).count(),
        "chat_messages": ChatMessage.objects.filter(meeting=meeting).count(),
        "summaries": Summary.objects.filter(meeting=meeting).count(),
    }
