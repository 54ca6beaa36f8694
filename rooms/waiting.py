"""Writes of a waiting room's lobby: people outside the organization ask to join, a host admits
or denies each (a denial is final for that meeting). Broadcasts go out after commit, as in
rooms.services; the waiting connection itself is told on its own channel."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from conference import protocol
from rooms import selectors
from rooms.models import Admission, Participant, Room
from rooms.names import clean_guest_name
from rooms.services import broadcast, send_to_channel


def _hosts(room: Room) -> list[int]:
    meeting = selectors.live_meeting(room)
    if meeting is None:
        return []
    return list(
        Participant.objects.filter(meeting=meeting, left_at__isnull=True, is_host=True).values_list(
            "id", flat=True
        )
    )


def person_filter(user: User | None, guest_key: str) -> Q:
    return Q(user=user) if user is not None else Q(user__isnull=True, guest_key=guest_key)


@transaction.atomic
def ask_to_enter(
    *, room: Room, user: User | None, guest_name: str, guest_key: str, channel_name: str
) -> Admission:
    """Wait in the lobby (again): one waiting entry per person, held by their newest connection."""
    if user is not None and not user.is_authenticated:
        user = None
    name = user.name if user is not None else clean_guest_name(guest_name)
    entry = (
        Admission.objects.select_for_update()
        .filter(room=room, state=Admission.State.WAITING)
        .filter(person_filter(user, guest_key))
        .first()
    )
    if entry is None:
        entry = Admission.objects.create(
            room=room,
            user=user,
            guest_key="" if user is not None else guest_key,
            display_name=name[:100],
            channel_name=channel_name,
        )
    elif entry.channel_name != channel_name:
        entry.channel_name = channel_name
        entry.save(update_fields=["channel_name"])
    event = protocol.room_admission_request(admission=entry.id, name=entry.display_name, hosts=_hosts(room))
    transaction.on_commit(lambda: broadcast(room.id, event))
    return entry


def _decide(host: Participant, admission_id: int, state: str) -> Admission:
    if not host.is_host:
        raise PermissionDenied("Only hosts can let people in.")
    room = host.meeting.room
    entry = (
        Admission.objects.select_for_update()
        .filter(pk=admission_id, room=room, state=Admission.State.WAITING)
        .first()
    )
    if entry is None:
        raise ValidationError("That person is no longer waiting.")
    entry.state, entry.meeting_id, entry.decided_by = state, host.meeting_id, host.display_name
    entry.save(update_fields=["state", "meeting", "decided_by"])
    settled = protocol.room_admission_settled(admission=entry.id, hosts=_hosts(room))
    transaction.on_commit(lambda: broadcast(room.id, settled))
    return entry


@transaction.atomic
def admit(*, host: Participant, admission_id: int) -> None:
    """Let a waiting person in: their connection joins the meeting at once."""
    entry = _decide(host, admission_id, Admission.State.ADMITTED)
    message = protocol.room_admitted(admission=entry.id)
    transaction.on_commit(lambda: send_to_channel(entry.channel_name, dict(message)))


@transaction.atomic
def deny(*, host: Participant, admission_id: int) -> None:
    """Turn a waiting person away, for the rest of this meeting."""
    entry = _decide(host, admission_id, Admission.State.DENIED)
    message = protocol.room_denied(admission=entry.id, by=host.display_name)
    transaction.on_commit(lambda: send_to_channel(entry.channel_name, dict(message)))


@transaction.atomic
def leave_lobby(*, admission_id: int, channel_name: str) -> None:
    """The waiting connection closed: the hosts stop seeing that person (unless a newer
    connection of theirs holds the entry)."""
    rows = Admission.objects.filter(pk=admission_id, state=Admission.State.WAITING, channel_name=channel_name)
    entry = rows.first()
    if entry is None or not rows.update(state=Admission.State.GONE):
        return
    settled = protocol.room_admission_settled(admission=entry.id, hosts=_hosts(entry.room))
    transaction.on_commit(lambda: broadcast(entry.room_id, settled))
