"""WebSocket signaling for one participant: thin; parses, checks permission, calls services.

Browser <-> this consumer <-> the meeting's SFU worker (over the channel layer). Message shapes are
in conference.protocol; validation in rooms.validation.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from conference import protocol
from conference.errors import error_text
from rooms import selectors, services
from rooms.models import Participant, Room
from rooms.validation import ProtocolError, TokenBucket, parse_client_message

log = logging.getLogger(__name__)


class RoomConsumer(AsyncWebsocketConsumer):
    room: Room
    participant: Participant | None = None
    sfu_worker: str = ""

    # --- connection ---------------------------------------------------------------------------

    async def connect(self) -> None:
        self.participant = None
        self.sfu_worker = ""
        self.strikes = 0
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST, time.monotonic())
        slug = self.scope["url_route"]["kwargs"]["slug"]
        user = self.scope.get("user")
        session = self.scope.get("session") or {}
        self.guest_name = (
            session.get("guest_name", "") if not getattr(user, "is_authenticated", False) else ""
        )
        self.guest_key = session.get("guest_key", "")
        room = await database_sync_to_async(Room.objects.filter(slug=slug).first)()
        allowed = room is not None and await database_sync_to_async(selectors.can_enter_room)(
            user, room, guest_name=self.guest_name
        )
        if not allowed:
            # Refused at the handshake: nothing recorded, nothing joined.
            await self.close()
            return
        self.room = room
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.participant is not None:
            await self._leave("disconnected")

    # --- incoming frames ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.take(time.monotonic()):
            self.strikes += 1
            if self.strikes >= settings.WS_FLOOD_CLOSE_AFTER:
                await self.send_error("flood", "Too many messages: the connection is closed.", fatal=True)
                await self.close(code=protocol.CLOSE_FLOOD)
            elif self.strikes == 1 or self.strikes % 10 == 0:
                await self.send_error(
                    "rate-limited", "Too many messages; slow down. This one was not processed."
                )
            return
        self.strikes = 0
        if bytes_data is not None or text_data is None:
            await self.send_error("invalid", "Binary frames are not accepted; send JSON text.")
            return
        if (
            len(text_data) > settings.WS_MAX_MESSAGE_BYTES
            or len(text_data.encode()) > settings.WS_MAX_MESSAGE_BYTES
        ):
            await self.send_error(
                "too-large", f"The message is larger than {settings.WS_MAX_MESSAGE_BYTES} bytes."
            )
            return
        try:
            message = parse_client_message(text_data)
            await self.dispatch_client(message)
        except ProtocolError as e:
            await self.send_error(e.code, e.message)
        except (ValidationError, PermissionDenied) as e:
            code = "not-allowed" if isinstance(e, PermissionDenied) else "invalid"
            await self.send_error(code, error_text(e))

    async def dispatch_client(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "join":
            await self.on_join()
            return
        if self.participant is None:
            raise ProtocolError("not-joined", "Join the meeting first.")
        if kind == "publish-offer":
            await self.to_sfu(
                {"type": "sfu.publish_offer", "participant": self.participant.id, "sdp": message["sdp"]}
            )
        elif kind == "subscribe-answer":
            await self.to_sfu(
                {"type": "sfu.subscribe_answer", "participant": self.participant.id, "sdp": message["sdp"]}
            )
        elif kind == "ice":
            await self.to_sfu(
                {
                    "type": "sfu.ice",
                    "participant": self.participant.id,
                    "pc": message["pc"],
                    "candidate": message["candidate"],
                }
            )
        elif kind == "chat":
            await database_sync_to_async(services.post_chat)(
                participant=self.participant, text=message["text"]
            )
        elif kind == "media-state":
            p = self.participant
            await database_sync_to_async(services.set_media_state)(
                participant=p, audio=message["audio"], video=message["video"], screen=message["screen"]
            )
            await self.to_sfu(
                {
                    "type": "sfu.set_muted",
                    "participant": p.id,
                    "kind": "audio",
                    "muted": not message["audio"],
                },
                quiet=True,
            )
        elif kind == "moderate":
            await self.on_moderate(message)
        elif kind == "keyframe":
            await self.to_sfu(
                {
                    "type": "sfu.keyframe",
                    "participant": message["participant"],
                    "from_participant": self.participant.id,
                },
                quiet=True,
            )
        elif kind == "leave":
            await self._leave("left")
            await self.close(code=1000)

    # --- join / leave -------------------------------------------------------------------------

    async def on_join(self) -> None:
        if self.participant is not None:
            raise ProtocolError("already-joined", "You already joined this meeting.")
        try:
            participant = await database_sync_to_async(services.join_meeting)(
                room=self.room,
                user=self.scope.get("user"),
                guest_name=self.guest_name,
                guest_key=self.guest_key,
                channel_name=self.channel_name,
            )
        except services.RoomLocked:
            await self.send_error(
                "locked", "This room is locked by its host. Ask the host to unlock it.", fatal=True
            )
            await self.close(code=protocol.CLOSE_LOCKED)
            return
        except services.NotAllowed:
            await self.send_error("not-allowed", "You are not allowed to enter this room.", fatal=True)
            await self.close(code=protocol.CLOSE_NOT_ALLOWED)
            return
        self.participant = participant
        await self.channel_layer.group_add(protocol.room_group(self.room.id), self.channel_name)
        others, chat, locked = await database_sync_to_async(self._join_snapshot)(participant)
        joined: protocol.ServerJoined = {
            "type": "joined",
            "participant": services.participant_info(participant),
            "participants": others,
            "chat": chat,
            "locked": locked,
            "ice_servers": settings.SFU_ICE_SERVERS,
        }
        await self.send_json(joined)
        await self.join_sfu()

    def _join_snapshot(self, participant: Participant) -> tuple[list, list, bool]:
        meeting = participant.meeting
        others = [
            services.participant_info(p)
            for p in selectors.present_participants(meeting).exclude(pk=participant.pk)
        ]
        chat = [services.chat_info(m) for m in selectors.chat_history(meeting, settings.CHAT_HISTORY)]
        locked = Room.objects.values_list("locked", flat=True).get(pk=self.room.pk)
        return others, chat, locked

    async def join_sfu(self, avoid: str = "") -> None:
        """Place the meeting on a live SFU worker (first placement wins) and join it there.

        ``avoid``: a worker that is shutting down (its heartbeat may still be visible).
        """
        from sfu import registry

        p = self.participant
        assert p is not None
        meeting = await database_sync_to_async(lambda: type(p.meeting).objects.get(pk=p.meeting_id))()
        current = meeting.sfu_worker
        if current and current != avoid and await registry.is_alive(current):
            worker: str | None = current
        else:
            live = [w for w in await registry.live_workers() if w["worker_id"] != avoid]
            worker = min(live, key=lambda w: (w["load"], w["worker_id"]))["worker_id"] if live else None
        if worker is None:
            self.sfu_worker = ""
            unavailable: protocol.ServerSfuUnavailable = {
                "type": "media-unavailable",
                "message": "No media server is running; chat works, audio and video do not.",
            }
            await self.send_json(unavailable)
            return
        if worker != current:
            worker = await database_sync_to_async(services.place_meeting)(
                meeting=meeting, worker_id=worker, replacing=current
            )
        self.sfu_worker = worker
        join: protocol.SfuJoin = {
            "type": "sfu.join",
            "meeting": meeting.id,
            "room": self.room.id,
            "meeting_started_at": meeting.started_at.timestamp(),
            "captions": settings.CAPTIONS_ENABLED,
            "participant": p.id,
            "name": p.display_name,
            "reply_channel": self.channel_name,
        }
        await self.to_sfu(join)

    async def _leave(self, reason: str) -> None:
        p, self.participant = self.participant, None
        if p is None:
            return
        await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
        # Record the leave (and the meeting's end) before the SFU hears of it: the SFU's transcript
        # flush then always finds the meeting ended.
        await database_sync_to_async(services.leave_meeting)(participant=p, reason=reason)
        if self.sfu_worker:
            await self.channel_layer.send(
                protocol.sfu_channel(self.sfu_worker), {"type": "sfu.leave", "participant": p.id}
            )

    async def on_moderate(self, message: dict[str, Any]) -> None:
        p = self.participant
        assert p is not None
        action = message["action"]
        if not p.is_host:
            raise PermissionDenied("Only the host can do that.")
        if action in ("lock", "unlock"):
            user = self.scope.get("user")
            await database_sync_to_async(services.set_room_locked)(
                room=self.room, locked=action == "lock", by=user
            )
            return
        target = await database_sync_to_async(Participant.objects.filter(pk=message["participant"]).first)()
        if target is None:
            raise ValidationError("That participant is not in the meeting.")
        if action == "mute":
            await database_sync_to_async(services.mute_participant)(host=p, target=target)
            await self.to_sfu(
                {
                    "type": "sfu.set_muted",
                    "participant": target.id,
                    "kind": "audio",
                    "muted": True,
                    "from_participant": p.id,
                },
                quiet=True,
            )
        else:
            await database_sync_to_async(services.remove_participant)(host=p, target=target)
            if self.sfu_worker:
                await self.channel_layer.send(
                    protocol.sfu_channel(self.sfu_worker), {"type": "sfu.leave", "participant": target.id}
                )

    # --- helpers ------------------------------------------------------------------------------

    async def to_sfu(self, message: dict[str, Any], quiet: bool = False) -> None:
        if not self.sfu_worker:
            if not quiet:
                raise ProtocolError(
                    "media-unavailable", "No media server is available for this meeting right now."
                )
            return
        await self.channel_layer.send(protocol.sfu_channel(self.sfu_worker), message)

    async def send_json(self, message: Any) -> None:
        await self.send(text_data=json.dumps(message))

    async def send_error(self, code: str, message: str, fatal: bool = False) -> None:
        error: protocol.ServerError = {"type": "error", "code": code, "message": message, "fatal": fatal}
        await self.send_json(error)

    def _is_me(self, participant_id: int) -> bool:
        return self.participant is not None and self.participant.id == participant_id

    # --- room group events --------------------------------------------------------------------

    async def room_participant_joined(self, event: dict[str, Any]) -> None:
        if not self._is_me(event["participant"]["id"]):
            await self.send_json({"type": "participant-joined", "participant": event["participant"]})

    async def room_participant_left(self, event: dict[str, Any]) -> None:
        if not self._is_me(event["participant"]):
            await self.send_json(
                {"type": "participant-left", "participant": event["participant"], "reason": event["reason"]}
            )

    async def room_chat(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "chat", "message": event["message"]})

    async def room_media_state(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "media-state"})

    async def room_state(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "room-state", "locked": event["locked"]})

    async def room_caption(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "caption"})

    async def room_mute(self, event: dict[str, Any]) -> None:
        if self._is_me(event["target"]):
            await self.send_json({"type": "muted-by-host", "by": event["by"]})

    async def room_remove(self, event: dict[str, Any]) -> None:
        if self.participant is not None and self.participant.id == event["target"]:
            self.participant = None  # the service already recorded the leave
            await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
            await self.send_error("removed", f"{event['by']} removed you from the meeting.", fatal=True)
            await self.close(code=protocol.CLOSE_REMOVED)

    # --- SFU replies --------------------------------------------------------------------------

    async def sfu_publish_answer(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "publish-answer", "sdp": event["sdp"]})

    async def sfu_subscribe_offer(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "subscribe-offer", "sdp": event["sdp"], "tracks": event["tracks"]})

    async def sfu_error(self, event: dict[str, Any]) -> None:
        await self.send_error(
            event.get("code", "media-error"), event.get("message", "The media server refused that.")
        )

    async def sfu_closed(self, event: dict[str, Any]) -> None:
        if self.participant is None or event.get("participant") != self.participant.id:
            return
        dead, self.sfu_worker = self.sfu_worker, ""
        if event.get("reason") == "server-shutdown":
            # Stay in the meeting: move to another live worker (the first consumer to ask places
            # the meeting there, the others follow) and have the browser renegotiate from scratch.
            restart: protocol.ServerMediaRestart = {
                "type": "media-restart",
                "message": "The media server is restarting; reconnecting audio and video…",
            }
            await self.send_json(restart)
            await self.join_sfu(avoid=dead)
        else:
            unavailable: protocol.ServerSfuUnavailable = {
                "type": "media-unavailable",
                "message": "The media connection was closed.",
            }
            await self.send_json(unavailable)
