"""Writes of the dashboard: a room's administration from the organization's rooms page: rename, who can join,
the participant limit, archive, delete. Hosts of the room (its creator, the organization's owners
and admins: selectors.is_room_host) may; every change is written to the audit log."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import User
from dashboard.selectors import DeletionCost, deletion_cost
from rooms import selectors
from rooms.models import Room


def _require_host(room: Room, by: User) -> None:
    if not selectors.is_room_host(by, room):
        raise PermissionDenied(
            "Only the room's creator and the organization's owners and admins can change it."
        )


def participant_limit_bounds() -> tuple[int, int]:
    """A room's own limit: at least 2, at most what one SFU meeting takes."""
    return 2, settings.SFU_MAX_PARTICIPANTS_PER_MEETING


@transaction.atomic
def update_room(
    *,
    room: Room,
    by: User,
    name: str,
    access: str,
    max_participants: int | None,
    waiting_room: bool | None = None,
) -> Room:
    """Rename, change who can join, set (or clear, with None) the participant limit, turn the
    waiting room on or off (None: as it is)."""
    room = Room.objects.select_for_update().get(pk=room.pk)
    _require_host(room, by)
    name = name.strip()[:100]
    if not name:
        raise ValidationError("A room needs a name.")
    if access not in Room.Access.values:
        raise ValidationError("Unknown access mode.")
    low, high = participant_limit_bounds()
    if max_participants is not None and not low <= max_participants <= high:
        raise ValidationError(f"The participant limit is between {low} and {high}, or empty for the default.")
    changes = {}
    waiting = room.waiting_room if waiting_room is None else waiting_room
    fields = (
        ("name", name),
        ("access", access),
        ("max_participants", max_participants),
        ("waiting_room", waiting),
    )
    for field, value in fields:
        old = getattr(room, field)
        if old != value:
            changes[field] = {"from": old, "to": value}
            setattr(room, field, value)
    if changes:
        room.save(update_fields=list(changes))
        audit.record(
            organization_id=room.organization_id,
            action=audit.Action.ROOM_CHANGE,
            actor=by,
            target=room.name,
            detail={k: f"{v['from']} -> {v['to']}" for k, v in changes.items()},
        )
    return room


@transaction.atomic
def set_archived(*, room: Room, by: User, archived: bool) -> Room:
    """An archived room keeps its meetings and records, is hidden from the rooms list and its
    link lets nobody in; unarchiving brings it back as it was."""
    room = Room.objects.select_for_update().get(pk=room.pk)
    _require_host(room, by)
    if archived and selectors.live_meeting(room) is not None:
        raise ValidationError("A meeting is going on in this room: archive it after the meeting.")
    if (room.archived_at is not None) != archived:
        room.archived_at = timezone.now() if archived else None
        room.save(update_fields=["archived_at"])
        audit.record(
            organization_id=room.organization_id,
            action=audit.Action.ROOM_ARCHIVE,
            actor=by,
            target=room.name,
            detail={"archived": archived},
        )
    return room


@transaction.atomic
def delete_room(*, room: Room, by: User, confirm_name: str) -> DeletionCost:
    """Delete the room with every meeting, chat message, transcript and summary of it. The name
    typed again confirms it; a room with a meeting going on is refused."""
    room = Room.objects.select_for_update().get(pk=room.pk)
    _require_host(room, by)
    if confirm_name.strip() != room.name:
        raise ValidationError(f"Type the room's name, {room.name}, to delete it.")
    cost = deletion_cost(room)
    if cost.live:
        raise ValidationError("A meeting is going on in this room: delete it after the meeting.")
    audit.record(
        organization_id=room.organization_id,
        action=audit.Action.ROOM_DELETE,
        actor=by,
        target=room.name,
        detail={
            "meetings": cost.meetings,
            "chat_messages": cost.chat_messages,
            "transcripts": cost.transcripts,
            "summaries": cost.summaries,
        },
    )
    room.delete()
    return cost
