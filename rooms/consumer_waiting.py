"""The room consumer's waiting-room half: a connection that must wait is put in the lobby
(rooms.waiting), joins when a host admits it and closes (CLOSE_DENIED) when a host denies it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from conference import protocol
from rooms import waiting
from rooms.models import Participant, Room

log = logging.getLogger(__name__)


class WaitingMixin:
    room: Room
    participant: Participant | None
    scope: Mapping[str, Any]
    channel_name: str
    guest_name: str
    guest_key: str
    admission_id: int | None = None
    waiting_resume: str = ""

    if TYPE_CHECKING:  # provided by RoomConsumer

        async def on_join(self, *, resume: str = "") -> None: ...
        async def send_json(self, message: Mapping[str, Any]) -> None: ...
        async def refuse(self, code: str, message: str, close_code: int) -> None: ...

    async def wait_in_lobby(self, *, resume: str) -> None:
        user = self.scope.get("user")
        entry = await database_sync_to_async(waiting.ask_to_enter)(
            room=self.room,
            user=user if getattr(user, "is_authenticated", False) else None,
            guest_name=self.guest_name,
            guest_key=self.guest_key,
            channel_name=self.channel_name,
        )
        self.admission_id, self.waiting_resume = entry.id, resume
        await self.send_json(protocol.server_waiting())

    async def room_admitted(self, event: protocol.RoomAdmitted) -> None:
        if self.admission_id != event["admission"] or self.participant is not None:
            return
        self.admission_id = None
        await self.on_join(resume=self.waiting_resume)

    async def room_denied(self, event: protocol.RoomDenied) -> None:
        if self.admission_id != event["admission"]:
            return
        self.admission_id = None
        await self.refuse(
            "denied", f"{event['by']} did not let you in to this meeting.", protocol.CLOSE_DENIED
        )

    async def leave_lobby(self) -> None:
        """The connection closes while waiting: the hosts stop seeing the request."""
        admission, self.admission_id = self.admission_id, None
        if admission is None:
            return
        try:
            await database_sync_to_async(waiting.leave_lobby)(
                admission_id=admission, channel_name=self.channel_name
            )
        except Exception:
            log.exception("Could not take admission %s out of the lobby", admission)
