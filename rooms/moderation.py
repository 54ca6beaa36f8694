"""Writes of a meeting's hosts (mute, ask to unmute, remove, let back in), and the one request a
muted participant makes. Broadcasts go out after commit, as in rooms.services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import audit
from conference import protocol
from rooms import selectors
from rooms.models import Participant, Room
from rooms.services import broadcast, leave_meeting


def _audit(host: Participant, action: str, target_name: str) -> None:
    """A host's action in the audit log, from the address of the host's own connection."""
    org_id, room_name = (
        Room.objects.filter(meetings=host.meeting_id).values_list("organization_id", "name").get()
    )
    audit.record(
        organization_id=org_id,
        action=action,
        actor=host.user,
        target=target_name,
        detail={"room": room_name, "meeting": host.meeting_id},
        address=host.client_address,
    )


def _require_host_in_meeting(host: Participant, target: Participant) -> None:
    if not host.is_host:
        raise PermissionDenied("Only hosts can do that.")
    if target.meeting_id != host.meeting_id or target.left_at is not None:
        raise ValidationError("That participant is not in the meeting.")


def _present_hosts(meeting_id: int) -> list[int]:
    return list(
        Participant.objects.filter(meeting_id=meeting_id, left_at__isnull=True, is_host=True).values_list(
            "id", flat=True
        )
    )


@transaction.atomic
def mute_participant(*, host: Participant, target: Participant) -> None:
    """Mute a participant until a host allows unmuting: their browser is told, the consumer stops
    the SFU forwarding their audio, and set_media_state refuses to unmute meanwhile."""
    _require_host_in_meeting(host, target)
    Participant.objects.filter(pk=target.pk).update(audio=False, host_muted=True)
    _audit(host, audit.Action.MEETING_MUTE, target.display_name)
    room_id = host.meeting.room_id
    mute = protocol.room_mute(target=target.id, by=host.display_name)
    state = protocol.room_media_state(
        participant=target.id, audio=False, video=target.video, screen=target.screen
    )
    transaction.on_commit(lambda: broadcast(room_id, mute))
    transaction.on_commit(lambda: broadcast(room_id, state))


def ask_to_unmute(*, participant: Participant) -> None:
    """A host-muted participant asks the meeting's hosts to let them speak."""
    muted = Participant.objects.filter(pk=participant.pk, left_at__isnull=True, host_muted=True).exists()
    if not muted:
        raise ValidationError("You are not muted by a host: unmute your microphone yourself.")
    event = protocol.room_unmute_request(
        participant=participant.id,
        name=participant.display_name,
        hosts=_present_hosts(participant.meeting_id),
    )
    broadcast(participant.meeting.room_id, event)


@transaction.atomic
def allow_unmute(*, host: Participant, target: Participant) -> None:
    """End a host's mute: the participant may unmute (they do it themselves, never the host)."""
    _require_host_in_meeting(host, target)
    Participant.objects.filter(pk=target.pk).update(host_muted=False)
    _audit(host, audit.Action.MEETING_ALLOW_UNMUTE, target.display_name)
    event = protocol.room_unmute_allowed(target=target.id, by=host.display_name)
    room_id = host.meeting.room_id
    transaction.on_commit(lambda: broadcast(room_id, event))


@transaction.atomic
def remove_participant(*, host: Participant, target: Participant) -> None:
    """Remove a participant; that person (user, or guest session) stays out of this meeting
    until a host lets them back in (readmit)."""
    _require_host_in_meeting(host, target)
    room_id = host.meeting.room_id
    event = protocol.room_remove(target=target.id, by=host.display_name)
    leave_meeting(participant=target, reason="removed")
    _audit(host, audit.Action.MEETING_REMOVE, target.display_name)
    transaction.on_commit(lambda: broadcast(room_id, event))


@transaction.atomic
def readmit(*, host: Participant, removed_id: int) -> None:
    """Let a removed person back in: their removal no longer bars joining nor the records."""
    if not host.is_host:
        raise PermissionDenied("Only hosts can do that.")
    target = Participant.objects.filter(
        pk=removed_id, meeting_id=host.meeting_id, left_reason=selectors.REMOVED
    ).first()
    if target is None:
        raise ValidationError("That person was not removed from this meeting.")
    rows = Participant.objects.filter(meeting_id=host.meeting_id, left_reason=selectors.REMOVED)
    rows = (
        rows.filter(user=target.user)
        if target.user_id
        else rows.filter(user__isnull=True, guest_key=target.guest_key)
    )
    rows.update(left_reason=selectors.READMITTED)
    _audit(host, audit.Action.MEETING_READMIT, target.display_name)
    event = protocol.room_readmitted(participant=target.id, hosts=_present_hosts(host.meeting_id))
    room_id = host.meeting.room_id
    transaction.on_commit(lambda: broadcast(room_id, event))
