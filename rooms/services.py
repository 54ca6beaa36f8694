"""Writes for rooms, meetings, participants and chat. Broadcasts go out after commit."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from conference import protocol
from rooms import selectors, signals
from rooms.models import ChatMessage, Meeting, Participant, Room, room_slug
from rooms.names import clean_guest_name


class RoomLocked(Exception):
    """The room is locked and the joiner is not a host."""


class NotAllowed(Exception):
    """The joiner may not enter the room."""


class Removed(NotAllowed):
    """A host removed this person (user, or guest session) from the live meeting."""


def broadcast(room_id: int, event: protocol.RoomEvent) -> None:
    """Send a group event to every consumer of the room (call it in on_commit)."""
    async_to_sync(get_channel_layer().group_send)(protocol.room_group(room_id), dict(event))


@transaction.atomic
def create_room(
    *, organization: Organization, name: str, created_by: User, access: str = Room.Access.MEMBERS
) -> Room:
    if selectors.membership(created_by, organization.id) is None:
        raise PermissionDenied("Only members of the organization can create its rooms.")
    name = name.strip()
    if not name:
        raise ValidationError("A room needs a name.")
    if access not in Room.Access.values:
        raise ValidationError("Unknown access mode.")
    slug = room_slug(name)
    while Room.objects.filter(slug=slug).exists():  # 70 bits: practically never
        slug = room_slug(name)
    return Room.objects.create(
        organization=organization,
        name=name[:100],
        slug=slug,
        access=access,
        created_by=created_by,
    )


@transaction.atomic
def set_room_locked(*, room: Room, locked: bool, by: User | None) -> Room:
    if not selectors.is_room_host(by, room):
        raise PermissionDenied("Only hosts can lock the room.")
    Room.objects.filter(pk=room.pk).update(locked=locked)
    room.locked = locked
    transaction.on_commit(lambda: broadcast(room.id, protocol.room_state(locked=locked)))
    return room


@transaction.atomic
def join_meeting(
    *, room: Room, user: User | None, guest_name: str = "", guest_key: str = "", channel_name: str = ""
) -> Participant:
    """Record a participant in the room's live meeting, starting the meeting if needed."""
    room = Room.objects.select_for_update().get(pk=room.pk)  # serializes joins and meeting start
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and guest_name.strip():
        guest_name = clean_guest_name(guest_name)  # ValidationError says what is wrong
    if not selectors.can_enter_room(user, room, guest_name=guest_name):
        raise NotAllowed
    is_host = selectors.is_room_host(user, room)
    if room.locked and not is_host:
        raise RoomLocked
    meeting = selectors.live_meeting(room)
    if meeting is not None and selectors.was_removed(meeting, user=user, guest_key=guest_key):
        raise Removed
    if meeting is None:
        meeting = Meeting.objects.create(room=room)
    participant = Participant.objects.create(
        meeting=meeting,
        user=user,
        display_name=(user.name if user else guest_name)[:100],
        guest_key="" if user else guest_key,
        is_host=is_host,
        channel_name=channel_name,
    )
    event = protocol.room_participant_joined(participant=selectors.participant_info(participant))
    transaction.on_commit(lambda: broadcast(room.id, event))
    return participant


@transaction.atomic
def leave_meeting(*, participant: Participant, reason: protocol.LeftReason = "left") -> bool:
    """Record the leave; the last one out ends the meeting. Returns True when the meeting ended."""
    meeting = Meeting.objects.select_for_update().get(pk=participant.meeting_id)
    updated = Participant.objects.filter(pk=participant.pk, left_at__isnull=True).update(
        left_at=timezone.now(), left_reason=reason
    )
    if not updated:
        return False  # already left (e.g. removed, then disconnected)
    room_id = meeting.room_id
    event = protocol.room_participant_left(participant=participant.id, reason=reason)
    transaction.on_commit(lambda: broadcast(room_id, event))
    if meeting.ended_at is None and not selectors.present_participants(meeting).exists():
        end_meeting(meeting=meeting)
        return True
    return False


@transaction.atomic
def end_meeting(*, meeting: Meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk, ended_at__isnull=True).update(ended_at=timezone.now())
    Participant.objects.filter(meeting=meeting, left_at__isnull=True).update(
        left_at=timezone.now(), left_reason="ended"
    )
    meeting.refresh_from_db()
    # In this transaction: the transcripts app starts the end of the meeting's transcript.
    signals.meeting_ended.send(sender=Meeting, meeting=meeting)


def post_chat(*, participant: Participant, text: str) -> ChatMessage:
    text = text.strip()
    if not text:
        raise ValidationError("The message is empty.")
    if len(text) > settings.CHAT_MAX_LENGTH:
        raise ValidationError(f"Messages are limited to {settings.CHAT_MAX_LENGTH} characters.")
    with transaction.atomic():
        message = ChatMessage.objects.create(
            meeting_id=participant.meeting_id,
            participant=participant,
            author_name=participant.display_name,
            author_guest=participant.is_guest,
            text=text,
        )
        event = protocol.room_chat(message=selectors.chat_info(message))
        room_id = participant.meeting.room_id
        transaction.on_commit(lambda: broadcast(room_id, event))
    return message


@transaction.atomic
def set_media_state(*, participant: Participant, audio: bool, video: bool, screen: bool) -> Participant:
    Participant.objects.filter(pk=participant.pk).update(audio=audio, video=video, screen=screen)
    participant.audio, participant.video, participant.screen = audio, video, screen
    room_id = participant.meeting.room_id
    event = protocol.room_media_state(participant=participant.id, audio=audio, video=video, screen=screen)
    transaction.on_commit(lambda: broadcast(room_id, event))
    return participant


def _require_host_in_meeting(host: Participant, target: Participant) -> None:
    if not host.is_host:
        raise PermissionDenied("Only hosts can do that.")
    if target.meeting_id != host.meeting_id or target.left_at is not None:
        raise ValidationError("That participant is not in the meeting.")


@transaction.atomic
def mute_participant(*, host: Participant, target: Participant) -> None:
    """Ask a participant's browser to mute; the consumer also stops the SFU forwarding their audio."""
    _require_host_in_meeting(host, target)
    Participant.objects.filter(pk=target.pk).update(audio=False)
    room_id = host.meeting.room_id
    mute = protocol.room_mute(target=target.id, by=host.display_name)
    state = protocol.room_media_state(
        participant=target.id, audio=False, video=target.video, screen=target.screen
    )
    transaction.on_commit(lambda: broadcast(room_id, mute))
    transaction.on_commit(lambda: broadcast(room_id, state))


@transaction.atomic
def remove_participant(*, host: Participant, target: Participant) -> None:
    _require_host_in_meeting(host, target)
    room_id = host.meeting.room_id
    event = protocol.room_remove(target=target.id, by=host.display_name)
    leave_meeting(participant=target, reason="removed")
    transaction.on_commit(lambda: broadcast(room_id, event))


@transaction.atomic
def place_meeting(*, meeting: Meeting, worker_id: str, replacing: str) -> str:
    """Store the SFU worker of a meeting; the first writer wins, so every participant lands on one worker."""
    Meeting.objects.filter(pk=meeting.pk, sfu_worker=replacing).update(sfu_worker=worker_id)
    meeting.refresh_from_db(fields=["sfu_worker"])
    return meeting.sfu_worker
