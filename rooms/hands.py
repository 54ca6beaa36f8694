"""Writes of raised hands and reactions. A hand is queued in the order raised (its time is stored
on the participant); its owner lowers it, and so may any host. Reactions are only relayed.
Broadcasts go out after commit, as in rooms.services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from conference import protocol
from rooms.models import Participant
from rooms.services import broadcast


@transaction.atomic
def raise_hand(*, participant: Participant) -> Participant:
    """Put the hand up; raising it again keeps its place in the queue."""
    row = Participant.objects.select_for_update().get(pk=participant.pk)
    if row.left_at is not None:
        raise ValidationError("You are not in the meeting.")
    if row.hand_raised_at is None:
        row.hand_raised_at = timezone.now()
        row.save(update_fields=["hand_raised_at"])
        event = protocol.room_hand(participant=row.id, raised=True, at=row.hand_raised_at.isoformat())
        room_id = participant.meeting.room_id
        transaction.on_commit(lambda: broadcast(room_id, event))
    participant.hand_raised_at = row.hand_raised_at
    return participant


@transaction.atomic
def lower_hand(*, by: Participant, target: Participant) -> None:
    """Lower ``target``'s hand: their own, or anyone's for a host. Lowering a hand that is down
    does nothing."""
    if by.pk != target.pk:
        if not by.is_host:
            raise PermissionDenied("Only hosts can lower someone else's hand.")
        if target.meeting_id != by.meeting_id or target.left_at is not None:
            raise ValidationError("That participant is not in the meeting.")
    if not Participant.objects.filter(pk=target.pk, hand_raised_at__isnull=False).update(hand_raised_at=None):
        return
    target.hand_raised_at = None
    event = protocol.room_hand(
        participant=target.id, raised=False, at=None, by=by.display_name if by.pk != target.pk else ""
    )
    room_id = by.meeting.room_id
    transaction.on_commit(lambda: broadcast(room_id, event))


def send_reaction(*, participant: Participant, emoji: str) -> None:
    if emoji not in protocol.REACTIONS:
        raise ValidationError("Unknown reaction.")
    event = protocol.room_reaction(participant=participant.id, name=participant.display_name, emoji=emoji)
    broadcast(participant.meeting.room_id, event)
