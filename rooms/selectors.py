"""Reads and permission checks for rooms and meetings.

Two access rules live here and nowhere else: who may enter a room (``can_enter_room``, with
``room_to_enter`` answering a missing room and a hidden one alike) and who may read a meeting's
records (``_records_filter``, behind ``can_view_meeting``, ``viewable_meeting``,
``meetings_for_user`` and ``record_recipients``).
"""

from __future__ import annotations

import weakref
from typing import Any, NamedTuple

from django.db import connections, router
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from accounts.models import Membership, User
from conference import protocol
from conference.postgresql import aio
from rooms.errors import MeetingHidden
from rooms.models import Admission, ChatMessage, Meeting, Participant, Room

MANAGER_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


def participant_info(p: Participant) -> protocol.ParticipantInfo:
    return protocol.participant_info(
        id=p.id,
        name=p.display_name,
        is_host=p.is_host,
        guest=p.is_guest,
        audio=p.audio,
        video=p.video,
        screen=p.screen,
        host_muted=p.host_muted,
        hand_raised_at=p.hand_raised_at.isoformat() if p.hand_raised_at else None,
    )


def chat_info(m: ChatMessage) -> protocol.ChatInfo:
    return protocol.chat_info(
        id=m.id,
        author=m.author_name,
        participant=m.participant_id,
        guest=m.author_guest,
        text=m.text,
        at=m.created_at.isoformat(),
    )


def membership(user: User | None, organization_id: int) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization_id=organization_id).first()


def is_org_manager(user: User | None, organization_id: int) -> bool:
    m = membership(user, organization_id)
    return m is not None and m.is_manager


def is_room_host(user: User | None, room: Room) -> bool:
    """The room's creator and the organization's owners/admins host its meetings."""
    if user is None or not user.is_authenticated:
        return False
    return room.created_by_id == user.id or is_org_manager(user, room.organization_id)


def can_enter_room(
    user: User | None, room: Room, *, guest_name: str = "", is_member: bool | None = None
) -> bool:
    """Access rule only (a lock is checked separately, at join). ``is_member``: whether the user
    belongs to the room's organization, when the caller read it with the room."""
    if room.archived_at is not None:
        return False
    if is_member is None:
        is_member = membership(user, room.organization_id) is not None
    if is_member:
        return True
    if room.access == Room.Access.LINK:
        return bool(user is not None and user.is_authenticated) or bool(guest_name)
    return False


def room_to_enter(slug: str, user: User | None, *, guest_name: str = "") -> Room | None:
    """The room with this slug if it exists and the user (or named guest) may enter it. One
    query (the membership read with the room): it runs at every WebSocket handshake."""
    rooms = Room.objects.filter(slug=slug)
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        mine = Membership.objects.filter(user=user, organization_id=OuterRef("organization_id"))
        rooms = rooms.annotate(is_member=Exists(mine))
    room = rooms.first()
    if room is None:
        return None
    if not can_enter_room(user, room, guest_name=guest_name, is_member=signed_in and room.is_member):
        return None
    return room


def room_and_user(slug: str, user_id: Any) -> tuple[Room | None, User | None, bool]:
    """The room with this slug, the user with this id (each None if there is none) and whether
    that user is a member of the room's organization: one query, one row, built once (no ORM
    compile per call). For the WebSocket handshake of a signed-in person (accounts.websocket_auth);
    the access decision stays ``can_enter_room``'s."""
    connection = connections[router.db_for_read(Room)]
    with connection.cursor() as cursor:
        cursor.execute(_room_and_user_sql(connection), [slug, user_id])
        row = cursor.fetchone()
    return _room_and_user_row(row, connection)


async def aroom_and_user(slug: str, user_id: Any) -> tuple[Room | None, User | None, bool] | None:
    """``room_and_user`` on the event loop's own connection (conference/postgresql/aio.py);
    None when that is off or failed: the caller asks ``room_and_user`` in the database thread."""
    alias = router.db_for_read(Room)
    connection = connections[alias]  # for its SQL dialect and converters; it runs no query here
    row = await aio.fetchone(_room_and_user_sql(connection), [slug, user_id], alias)
    return None if row is None else _room_and_user_row(row, connection)


def _room_and_user_row(row: Any, connection: Any) -> tuple[Room | None, User | None, bool]:
    n = len(Room._meta.concrete_fields)
    room = _instance(Room, row[:n], connection) if row[0] is not None else None
    user = _instance(User, row[n:-1], connection) if row[n] is not None else None
    return room, user, bool(row[-1])


_SQL: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_CONVERTERS: weakref.WeakKeyDictionary[Any, dict[type[Model], list[tuple[Any, list[Any]]]]] = (
    weakref.WeakKeyDictionary()
)


def _room_and_user_sql(connection: Any) -> str:
    sql = _SQL.get(connection)
    if sql is None:
        qn = connection.ops.quote_name
        rooms, users, members = (qn(m._meta.db_table) for m in (Room, User, Membership))
        columns = [f"r.{qn(f.column)}" for f in Room._meta.concrete_fields]
        columns += [f"u.{qn(f.column)}" for f in User._meta.concrete_fields]
        user_col, org_col = qn(Membership._meta.get_field("user").column), qn("organization_id")
        sql = _SQL[connection] = (
            f"SELECT {', '.join(columns)}, EXISTS (SELECT 1 FROM {members} m"
            f" WHERE m.{user_col} = u.{qn(User._meta.pk.column)} AND m.{org_col} = r.{org_col})"
            f" FROM (SELECT 1) one LEFT JOIN {rooms} r ON r.{qn('slug')} = %s"
            f" LEFT JOIN {users} u ON u.{qn(User._meta.pk.column)} = %s"
        )
    return sql


def _instance(model: type[Model], values: tuple[Any, ...], connection: Any) -> Any:
    """A model instance from its columns, with the conversions the ORM applies to them."""
    per_model = _CONVERTERS.setdefault(connection, {})
    if model not in per_model:
        cols = [f.get_col(model._meta.db_table) for f in model._meta.concrete_fields]
        per_model[model] = [
            (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)) for col in cols
        ]
    converted = []
    for value, (col, converters) in zip(values, per_model[model], strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], converted)


def rooms_for_user(user: User) -> QuerySet[Room]:
    """Rooms of the user's organizations (not archived), newest first."""
    return (
        Room.objects.filter(organization__memberships__user=user, archived_at__isnull=True)
        .select_related("organization")
        .order_by("-created_at")
    )


def live_meeting(room: Room) -> Meeting | None:
    return Meeting.objects.filter(room=room, ended_at__isnull=True).first()


def present_participants(meeting: Meeting) -> QuerySet[Participant]:
    return meeting.participants.filter(left_at__isnull=True)


def chat_history(meeting: Meeting, limit: int) -> list[ChatMessage]:
    return list(reversed(meeting.chat_messages.order_by("-created_at", "-id")[:limit]))


def meeting_of(participant: Participant) -> Meeting:
    """The participant's meeting as stored now (its SFU worker may have changed)."""
    return Meeting.objects.get(pk=participant.meeting_id)


def participant_by_id(participant_id: int) -> Participant | None:
    return Participant.objects.filter(pk=participant_id).first()


class JoinSnapshot(NamedTuple):
    """What a joiner is shown: themselves as stored, everyone else present, the chat history,
    the lock, and (to hosts) who was removed."""

    me: protocol.ParticipantInfo
    others: list[protocol.ParticipantInfo]
    chat: list[protocol.ChatInfo]
    locked: bool
    removed: list[protocol.RemovedInfo]
    waiting: list[protocol.WaitingInfo]


def join_snapshot(participant: Participant, *, chat_limit: int) -> JoinSnapshot:
    participant.refresh_from_db()  # a resumed place keeps its media state and a host's mute
    meeting = participant.meeting
    return JoinSnapshot(
        me=participant_info(participant),
        others=[participant_info(p) for p in present_participants(meeting).exclude(pk=participant.pk)],
        chat=[chat_info(m) for m in chat_history(meeting, chat_limit)],
        locked=Room.objects.values_list("locked", flat=True).get(pk=meeting.room_id),
        removed=removed_people(meeting) if participant.is_host else [],
        waiting=waiting_people(meeting.room_id) if participant.is_host else [],
    )


def waiting_people(room_id: int) -> list[protocol.WaitingInfo]:
    """Who waits in the room's lobby, in the order they came."""
    rows = Admission.objects.filter(room_id=room_id, state=Admission.State.WAITING)
    return [{"id": a.id, "name": a.display_name} for a in rows]


def must_wait(room: Room, user: User | None, *, is_host: bool) -> bool:
    """A waiting room holds back whoever is not in its organization (hosts never wait)."""
    return room.waiting_room and not is_host and membership(user, room.organization_id) is None


def admission_decision(room: Room, meeting: Meeting | None, *, user: User | None, guest_key: str) -> str:
    """The hosts' last answer to this person for this meeting: admitted, denied, or "" (none yet)."""
    if meeting is None:
        return ""
    person = Q(user=user) if user is not None else Q(user__isnull=True, guest_key=guest_key)
    decided = (
        Admission.objects.filter(room=room, meeting=meeting)
        .filter(person)
        .filter(state__in=[Admission.State.ADMITTED, Admission.State.DENIED])
        .order_by("-id")
        .first()
    )
    return decided.state if decided else ""


def removed_people(meeting: Meeting) -> list[protocol.RemovedInfo]:
    """People removed from the meeting and not let back in, once each (their latest row)."""
    rows = meeting.participants.filter(left_reason=REMOVED).order_by("-left_at")
    seen: set[object] = set()
    people: list[protocol.RemovedInfo] = []
    for p in rows:
        who = p.user_id or ("guest", p.guest_key)
        if who not in seen:
            seen.add(who)
            people.append({"id": p.id, "name": p.display_name})
    return people


REMOVED = "removed"  # the left_reason of a participant a host removed
READMITTED = "readmitted"  # ... and then let back in (moderation.readmit): no longer barred


def _records_filter(user: User | None, guest_key: str) -> Q:
    """THE rule for a meeting's records (transcript, its downloads, summary, its e-mail), as a
    filter on meetings. Who may read them:

    - the owners and admins of the room's organization, always;
    - the meeting's participants who were not removed: a signed-in user who joined it (member
      of the organization or not), or a guest by the session key it joined with. A participant
      removed by a host (left_reason "removed", in any of their rows of that meeting: a rejoin
      does not restore it) loses access to the whole meeting's records;
    - nobody else: plain members of the organization who did not attend see nothing of it
      (the safer rule: a members-only room's talk is for the people in it), nor does the
      room's creator unless they attended or manage the organization.
    """
    q = Q(pk__in=[])  # matches nothing
    if user is not None and user.is_authenticated:
        managed = Membership.objects.filter(user=user, role__in=MANAGER_ROLES).values("organization_id")
        q |= Q(room__organization_id__in=managed)
        q |= _attended_and_not_removed(Participant.objects.filter(user=user))
    if guest_key:
        q |= _attended_and_not_removed(Participant.objects.filter(user__isnull=True, guest_key=guest_key))
    return q


def _attended_and_not_removed(rows: QuerySet[Participant]) -> Q:
    removed = rows.filter(left_reason=REMOVED).values("meeting_id")
    return Q(pk__in=rows.values("meeting_id")) & ~Q(pk__in=removed)


def was_removed(meeting: Meeting, *, user: User | None, guest_key: str = "") -> bool:
    """Whether a host removed this user (or guest session) from the meeting: they stay out of it."""
    if user is not None and user.is_authenticated:
        rows = meeting.participants.filter(user=user)
    elif guest_key:
        rows = meeting.participants.filter(user__isnull=True, guest_key=guest_key)
    else:
        return False
    return rows.filter(left_reason=REMOVED).exists()


def can_view_meeting(user: User | None, meeting: Meeting, *, guest_key: str = "") -> bool:
    """Whether ``user`` (or the guest session ``guest_key``) may read the meeting's records."""
    return Meeting.objects.filter(_records_filter(user, guest_key), pk=meeting.pk).exists()


def viewable_meeting(user: User | None, meeting_id: int, *, guest_key: str = "") -> Meeting | None:
    """The meeting (None if there is none) when the viewer may see its records; MeetingHidden if not."""
    meeting = Meeting.objects.select_related("room__organization").filter(pk=meeting_id).first()
    if meeting is None:
        return None
    if not can_view_meeting(user, meeting, guest_key=guest_key):
        raise MeetingHidden
    return meeting


def meetings_for_user(user: User) -> QuerySet[Meeting]:
    """The meetings whose records the user may read (the same rule), for the meetings list."""
    return Meeting.objects.filter(_records_filter(user, "")).select_related("room")


def record_recipients(meeting: Meeting) -> list[User]:
    """Participants (signed-in users) the records rule lets read this meeting: whom its summary
    may be e-mailed to."""
    joined = User.objects.filter(participations__meeting=meeting).distinct().order_by("pk")
    return [u for u in joined if can_view_meeting(u, meeting)]


def participant_names(meeting: Meeting) -> list[str]:
    """Who joined, in order of joining, each name once."""
    names: list[str] = []
    for name in meeting.participants.values_list("display_name", flat=True):
        if name not in names:
            names.append(name)
    return names


def organization_usage(organization_id: int, since: Any) -> dict[str, Any]:
    """Usage figures for an organization's dashboard, from ``since`` on."""
    from django.db.models import DurationField, ExpressionWrapper, F, Sum
    from django.db.models.functions import Coalesce, Now

    meetings = Meeting.objects.filter(room__organization_id=organization_id, started_at__gte=since)
    duration = ExpressionWrapper(
        Coalesce(F("ended_at"), Now()) - F("started_at"), output_field=DurationField()
    )
    meeting_time = meetings.annotate(d=duration).aggregate(total=Sum("d"))["total"]
    participants = Participant.objects.filter(meeting__in=meetings)
    attend = ExpressionWrapper(Coalesce(F("left_at"), Now()) - F("joined_at"), output_field=DurationField())
    participant_time = participants.annotate(d=attend).aggregate(total=Sum("d"))["total"]
    return {
        "meetings": meetings.count(),
        "meeting_minutes": round(meeting_time.total_seconds() / 60) if meeting_time else 0,
        "participant_minutes": round(participant_time.total_seconds() / 60) if participant_time else 0,
        "participants": participants.count(),
        "chat_messages": ChatMessage.objects.filter(meeting__in=meetings).count(),
        "recent": list(meetings.select_related("room").order_by("-started_at")[:20]),
    }
