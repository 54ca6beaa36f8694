"""Writes for rooms, meetings, participants and chat. Broadcasts go out after commit."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import NamedTuple

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import Organization, User
from conference import protocol
from rooms import presence, selectors, signals
from rooms.models import ChatMessage, Meeting, Participant, Room, room_slug
from rooms.names import clean_guest_name


class RoomLocked(Exception):
    """The room is locked and the joiner is not a host."""


class NotAllowed(Exception):
    """The joiner may not enter the room."""


class Removed(NotAllowed):
    """A host removed this person (user, or guest session) from the live meeting."""


class MustWait(Exception):
    """A waiting room: this person waits in its lobby until a host admits them."""


class Denied(Exception):
    """A host turned this person away from the waiting room, for the rest of this meeting."""


class RoomFull(Exception):
    """The room's meeting already has its maximum number of people."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class AddressLimit(RoomFull):
    """Too many guests from one client address are in the meeting."""


log = logging.getLogger(__name__)


class Entry(NamedTuple):
    """The outcome of entering a meeting."""

    participant: Participant
    resume_token: str  # for the browser only (its hash is stored): resumes this place after a drop
    resumed: bool  # an existing place was taken over: a reconnect, or the same person's new tab
    replaced_channel: str  # the connection that held the place before ("" for a new place)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def broadcast(room_id: int, event: protocol.RoomEvent) -> None:
    """Send a group event to every consumer of the room (call it in on_commit)."""
    async_to_sync(get_channel_layer().group_send)(protocol.room_group(room_id), dict(event))


@transaction.atomic
def create_room(
    *,
    organization: Organization,
    name: str,
    created_by: User,
    access: str = Room.Access.MEMBERS,
    waiting_room: bool = False,
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
    room = Room.objects.create(
        organization=organization,
        name=name[:100],
        slug=slug,
        access=access,
        waiting_room=waiting_room,
        created_by=created_by,
    )
    audit.record(
        organization_id=organization.id,
        action=audit.Action.ROOM_CREATE,
        actor=created_by,
        target=room.name,
        detail={"access": access},
    )
    return room


@transaction.atomic
def set_room_locked(*, room: Room, locked: bool, by: User | None, address: str | None = None) -> Room:
    """``address``: the host's connection's, for the audit log (a page request's otherwise)."""
    if not selectors.is_room_host(by, room):
        raise PermissionDenied("Only hosts can lock the room.")
    Room.objects.filter(pk=room.pk).update(locked=locked)
    room.locked = locked
    audit.record(
        organization_id=room.organization_id,
        action=audit.Action.MEETING_LOCK,
        actor=by,
        target=room.name,
        detail={"locked": locked},
        address=address,
    )
    transaction.on_commit(lambda: broadcast(room.id, protocol.room_state(locked=locked)))
    return room


def join_meeting(
    *, room: Room, user: User | None, guest_name: str = "", guest_key: str = "", channel_name: str = ""
) -> Participant:
    """Record a participant in the room's live meeting (see enter_meeting)."""
    return enter_meeting(
        room=room, user=user, guest_name=guest_name, guest_key=guest_key, channel_name=channel_name
    ).participant


def _own_place(
    meeting: Meeting, *, user: User | None, guest_key: str, resume_token: str
) -> Participant | None:
    """The present participant this connection may take over: the one its resume token names (if
    it is the same person), else (ONE_PARTICIPANT_PER_PERSON) the person's present one."""
    present = selectors.present_participants(meeting).select_for_update()
    mine = (
        present.filter(user=user)
        if user is not None
        else present.filter(user__isnull=True, guest_key=guest_key)
    )
    if user is None and not guest_key:
        return None
    if resume_token:
        resumed = mine.filter(resume_token_hash=_token_hash(resume_token)).first()
        if resumed is not None:
            return resumed
    return mine.first() if settings.ONE_PARTICIPANT_PER_PERSON else None


def _check_caps(room: Room, meeting: Meeting, *, user: User | None, client_address: str | None) -> None:
    present = selectors.present_participants(meeting)
    limit = room.max_participants or settings.ROOM_MAX_PARTICIPANTS
    if present.count() >= limit:
        raise RoomFull(limit)
    per_address = settings.MEETING_GUESTS_PER_ADDRESS
    if user is None and client_address and per_address:
        if present.filter(user__isnull=True, client_address=client_address).count() >= per_address:
            raise AddressLimit(per_address)


@transaction.atomic
def enter_meeting(
    *,
    room: Room,
    user: User | None,
    guest_name: str = "",
    guest_key: str = "",
    channel_name: str = "",
    resume_token: str = "",
    client_address: str | None = None,
) -> Entry:
    """Give this connection a place in the room's live meeting, starting the meeting if needed.

    A connection that shows the resume token of its own present participant (or, with
    ONE_PARTICIPANT_PER_PERSON, any connection of the same user or guest session) takes that
    participant over: no second row, no lock or cap check (the person is already in). Otherwise
    the access rule, the lock, a host's removal and the caps decide; a new participant is recorded
    and announced after commit.
    """
    room = Room.objects.select_for_update().get(pk=room.pk)  # serializes joins and meeting start
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and guest_name.strip():
        guest_name = clean_guest_name(guest_name)  # ValidationError says what is wrong
    if not selectors.can_enter_room(user, room, guest_name=guest_name):
        raise NotAllowed
    token = secrets.token_urlsafe(24)
    meeting = selectors.live_meeting(room)
    if meeting is not None:
        own = _own_place(meeting, user=user, guest_key=guest_key, resume_token=resume_token)
        if own is not None:
            replaced = own.channel_name if own.channel_name != channel_name else ""
            own.channel_name, own.resume_token_hash = channel_name, _token_hash(token)
            own.save(update_fields=["channel_name", "resume_token_hash"])
            if replaced:
                takeover = protocol.room_takeover(target=own.id)
                transaction.on_commit(lambda: send_to_channel(replaced, takeover))
            return Entry(own, token, True, replaced)
    is_host = selectors.is_room_host(user, room)
    if room.locked and not is_host:
        raise RoomLocked
    if meeting is not None and selectors.was_removed(meeting, user=user, guest_key=guest_key):
        raise Removed
    if selectors.must_wait(room, user, is_host=is_host):
        decision = selectors.admission_decision(room, meeting, user=user, guest_key=guest_key)
        if decision == "denied":
            raise Denied
        if decision != "admitted":
            raise MustWait
    if meeting is None:
        meeting = Meeting.objects.create(room=room)
    _check_caps(room, meeting, user=user, client_address=client_address)
    participant = Participant.objects.create(
        meeting=meeting,
        user=user,
        display_name=(user.name if user else guest_name)[:100],
        guest_key="" if user else guest_key,
        is_host=is_host,
        channel_name=channel_name,
        resume_token_hash=_token_hash(token),
        client_address=client_address,
    )
    event = protocol.room_participant_joined(participant=selectors.participant_info(participant))
    transaction.on_commit(lambda: broadcast(room.id, event))
    return Entry(participant, token, False, "")


def send_to_channel(channel_name: str, message: dict) -> None:
    """One consumer's channel (call it in on_commit); a dead consumer's channel just expires."""
    try:
        async_to_sync(get_channel_layer().send)(channel_name, dict(message))
    except Exception as e:  # ChannelFull, Redis down: the message was a courtesy
        log.warning("Could not send %s to %s: %r", message.get("type"), channel_name, e)


@transaction.atomic
def leave_meeting(
    *, participant: Participant, reason: protocol.LeftReason = "left", channel_name: str | None = None
) -> bool:
    """Record the leave; the last one out ends the meeting. Returns True when the meeting ended."""
    return _leave(participant, reason=reason, channel_name=channel_name)[1]


@transaction.atomic
def release_place(*, participant: Participant, channel_name: str, reason: protocol.LeftReason) -> bool:
    """A connection lets its participant go: recorded only if that connection still holds the
    place (not when another took it over, e.g. the browser reconnected through another web
    process). Returns whether the leave was recorded."""
    return _leave(participant, reason=reason, channel_name=channel_name)[0]


def _leave(
    participant: Participant, *, reason: protocol.LeftReason, channel_name: str | None
) -> tuple[bool, bool]:
    """(recorded, meeting ended)."""
    meeting = Meeting.objects.select_for_update().get(pk=participant.meeting_id)
    rows = Participant.objects.filter(pk=participant.pk, left_at__isnull=True)
    if channel_name is not None:
        rows = rows.filter(channel_name=channel_name)
    if not rows.update(left_at=timezone.now(), left_reason=reason):
        return False, False  # already left (e.g. removed, then disconnected), or taken over
    room_id = meeting.room_id
    event = protocol.room_participant_left(participant=participant.id, reason=reason)
    transaction.on_commit(lambda: broadcast(room_id, event))
    if meeting.ended_at is None and not selectors.present_participants(meeting).exists():
        end_meeting(meeting=meeting)
        return True, True
    return True, False


def reap_absent_participants() -> list[int]:
    """End the participants no live connection vouches for (rooms.presence): their web process
    crashed, or their consumer died. The last one of a meeting ends it. Returns their ids."""
    grace = timezone.now() - timezone.timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    candidates = list(
        Participant.objects.filter(
            left_at__isnull=True, meeting__ended_at__isnull=True, joined_at__lt=grace
        ).values_list("id", flat=True)[:10000]
    )
    gone = presence.confirm_absent(presence.absent(candidates))
    reaped = []
    for participant in Participant.objects.filter(pk__in=gone).select_related("meeting"):
        with transaction.atomic():
            # Still the same holder? A reconnect may have taken it over since the reading.
            if not _leave(participant, reason="disconnected", channel_name=participant.channel_name)[0]:
                continue
            worker = participant.meeting.sfu_worker
            if worker:
                leave = protocol.sfu_leave(participant=participant.id)
                transaction.on_commit(lambda w=worker, m=leave: send_to_channel(protocol.sfu_channel(w), m))
        log.info(
            "Ended participant %s of meeting %s: no live connection", participant.id, participant.meeting_id
        )
        reaped.append(participant.id)
    return reaped


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


class HostMuted(PermissionDenied):
    """The participant tried to unmute while a host's mute holds."""


@transaction.atomic
def set_media_state(*, participant: Participant, audio: bool, video: bool, screen: bool) -> Participant:
    held = Participant.objects.select_for_update().values_list("host_muted", flat=True).get(pk=participant.pk)
    if audio and held:
        raise HostMuted("The host muted you. Select “Ask to unmute” and wait for the host to allow it.")
    Participant.objects.filter(pk=participant.pk).update(audio=audio, video=video, screen=screen)
    participant.audio, participant.video, participant.screen = audio, video, screen
    room_id = participant.meeting.room_id
    event = protocol.room_media_state(participant=participant.id, audio=audio, video=video, screen=screen)
    transaction.on_commit(lambda: broadcast(room_id, event))
    return participant


@transaction.atomic
def place_meeting(*, meeting: Meeting, worker_id: str, replacing: str) -> str:
    """Store the SFU worker of a meeting; the first writer wins, so every participant lands on one worker."""
    Meeting.objects.filter(pk=meeting.pk, sfu_worker=replacing).update(sfu_worker=worker_id)
    meeting.refresh_from_db(fields=["sfu_worker"])
    return meeting.sfu_worker
