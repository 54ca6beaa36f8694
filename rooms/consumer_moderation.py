"""The hosts' requests of the room consumer (``moderate``): lock, mute, allow unmuting, remove,
let back in; and everyone's hands and reactions. The writes and their rules are
rooms.moderation's and rooms.hands'; this only dispatches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from conference import protocol
from rooms import hands, moderation, selectors, services, waiting
from rooms.models import Participant, Room


class ModerationMixin:
    room: Room
    participant: Participant | None
    scope: Mapping[str, Any]

    if TYPE_CHECKING:  # provided by MediaMixin

        async def to_sfu(self, message: Mapping[str, Any], quiet: bool = False) -> None: ...

    async def on_gesture(self, message: dict[str, Any]) -> None:
        """``hand`` (raise or lower; a host lowers another's with ``participant``) and ``reaction``."""
        p = self.participant
        assert p is not None
        if message["type"] == "reaction":
            await database_sync_to_async(hands.send_reaction)(participant=p, emoji=message["emoji"])
        elif message["raised"]:
            if message.get("participant", p.id) != p.id:
                raise PermissionDenied("Only you can raise your hand.")
            await database_sync_to_async(hands.raise_hand)(participant=p)
        else:
            target = p
            if message.get("participant", p.id) != p.id:
                target = await database_sync_to_async(selectors.participant_by_id)(message["participant"])
                if target is None:
                    raise ValidationError("That participant is not in the meeting.")
            await database_sync_to_async(hands.lower_hand)(by=p, target=target)

    async def on_moderate(self, message: dict[str, Any]) -> None:
        p = self.participant
        assert p is not None
        action = message["action"]
        if not p.is_host:
            raise PermissionDenied("Only the host can do that.")
        if action in ("lock", "unlock"):
            user = self.scope.get("user")
            await database_sync_to_async(services.set_room_locked)(
                room=self.room, locked=action == "lock", by=user, address=p.client_address
            )
            return
        if action in ("admit", "deny"):
            decide = waiting.admit if action == "admit" else waiting.deny
            await database_sync_to_async(decide)(host=p, admission_id=message["participant"])
            return
        if action == "readmit":
            await database_sync_to_async(moderation.readmit)(host=p, removed_id=message["participant"])
            return
        target = await database_sync_to_async(selectors.participant_by_id)(message["participant"])
        if target is None:
            raise ValidationError("That participant is not in the meeting.")
        if action == "mute":
            await database_sync_to_async(moderation.mute_participant)(host=p, target=target)
            await self.to_sfu(
                protocol.sfu_set_muted(
                    participant=target.id, kind="audio", muted=True, from_participant=p.id
                ),
                quiet=True,
            )
        elif action == "allow-unmute":
            await database_sync_to_async(moderation.allow_unmute)(host=p, target=target)
        else:
            await database_sync_to_async(moderation.remove_participant)(host=p, target=target)
            await self.to_sfu(protocol.sfu_leave(participant=target.id), quiet=True)
