"""Reads and permission checks for rooms and meetings."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import QuerySet

from accounts.models import Membership, User
from conference import protocol
from rooms.errors import MeetingHidden
from rooms.models import ChatMessage, Meeting, Participant, Room


def participant_info(p: Participant) -> protocol.ParticipantInfo:
    return {
        "id": p.id,
        "name": p.display_name,
        "is_host": p.is_host,
        "audio": p.audio,
        "video": p.video,
        "screen": p.screen,
    }


def chat_info(m: ChatMessage) -> protocol.ChatInfo:
    return {
        "id": m.id,
        "author": m.author_name,
        "participant": m.participant_id,
        "text": m.text,
        "at": m.created_at.isoformat(),
    }


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


def can_enter_room(user: User | None, room: Room, *, guest_name: str = "") -> bool:
    """Access rule only (a lock is checked separately, at join)."""
    if membership(user, room.organization_id) is not None:
        return True
    if room.access == Room.Access.LINK:
        return bool(user is not None and user.is_authenticated) or bool(guest_name)
    return False


def room_to_enter(slug: str, user: User | None, *, guest_name: str = "") -> Room | None:
    """The room with this slug if it exists and the user (or named guest) may enter it."""
    room = Room.objects.filter(slug=slug).first()
    if room is None or not can_enter_room(user, room, guest_name=guest_name):
        return None
    return room


def rooms_for_user(user: User) -> QuerySet[Room]:
    """Rooms of the user's organizations, newest first."""
    return (
        Room.objects.filter(organization__memberships__user=user)
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
    """What a joiner is shown: everyone else present, the chat history, the lock."""

    others: list[protocol.ParticipantInfo]
    chat: list[protocol.ChatInfo]
    locked: bool


def join_snapshot(participant: Participant, *, chat_limit: int) -> JoinSnapshot:
    meeting = participant.meeting
    return JoinSnapshot(
        others=[participant_info(p) for p in present_participants(meeting).exclude(pk=participant.pk)],
        chat=[chat_info(m) for m in chat_history(meeting, chat_limit)],
        locked=Room.objects.values_list("locked", flat=True).get(pk=meeting.room_id),
    )


def can_view_meeting(user: User | None, meeting: Meeting) -> bool:
    """Transcripts and summaries: the meeting's participants and the org's owners/admins."""
    if user is None or not user.is_authenticated:
        return False
    if is_org_manager(user, meeting.room.organization_id):
        return True
    return meeting.participants.filter(user=user).exists()


def viewable_meeting(user: User | None, meeting_id: int) -> Meeting | None:
    """The meeting (None if there is none) when ``user`` may see its records; MeetingHidden if not."""
    meeting = Meeting.objects.select_related("room__organization").filter(pk=meeting_id).first()
    if meeting is None:
        return None
    if not can_view_meeting(user, meeting):
        raise MeetingHidden
    return meeting


def participant_names(meeting: Meeting) -> list[str]:
    """Who joined, in order of joining, each name once."""
    names: list[str] = []
    for name in meeting.participants.values_list("display_name", flat=True):
        if name not in names:
            names.append(name)
    return names


def meetings_for_user(user: User) -> QuerySet[Meeting]:
    """Meetings the user attended, or of organizations they manage."""
    managed = Membership.objects.filter(
        user=user, role__in=[Membership.Role.OWNER, Membership.Role.ADMIN]
    ).values("organization_id")
    from django.db.models import Q

    return (
        Meeting.objects.filter(Q(participants__user=user) | Q(room__organization_id__in=managed))
        .distinct()
        .select_related("room")
    )


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
