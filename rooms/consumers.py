"""WebSocket signaling for one participant: thin; parses, checks permission, calls services.

Browser <-> this consumer <-> the meeting's SFU worker (over the channel layer). Message shapes are
in conference.protocol; validation in rooms.validation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from conference import protocol, turn
from conference.errors import error_text
from rooms import selectors, services
from rooms.models import Participant, Room
from rooms.validation import ProtocolError, TokenBucket, parse_client_message
from sfu import placement
from sfu.watch import worker_watch

log = logging.getLogger(__name__)

NO_MEDIA_SERVER = "No media server is running; chat works, audio and video do not."
# A page asks for fresh media when its peer connections fail; more often than this is refused.
MEDIA_RESTART_MIN_INTERVAL = 5.0


class RoomConsumer(AsyncWebsocketConsumer):
    room: Room
    participant: Participant | None = None
    sfu_worker: str = ""

    # --- connection ---------------------------------------------------------------------------

    async def connect(self) -> None:
        self.participant = None
        self.sfu_worker = ""
        self.media_started_at = 0.0  # time.monotonic() of the last join on an SFU worker
        self.strikes = 0
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST, time.monotonic())
        slug = self.scope["url_route"]["kwargs"]["slug"]
        user = self.scope.get("user")
        session = self.scope.get("session") or {}
        self.guest_name = (
            session.get("guest_name", "") if not getattr(user, "is_authenticated", False) else ""
        )
        self.guest_key = session.get("guest_key", "")
        room = await database_sync_to_async(selectors.room_to_enter)(slug, user, guest_name=self.guest_name)
        if room is None:
            # Refused at the handshake: nothing recorded, nothing joined.
            await self.close()
            return
        self.room = room
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.participant is not None:
            await self._leave("disconnected")
        await worker_watch().discard(self.channel_name)

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
        p = self.participant
        if p is None:
            raise ProtocolError("not-joined", "Join the meeting first.")
        if kind == "publish-offer":
            await self.to_sfu(protocol.sfu_publish_offer(participant=p.id, sdp=message["sdp"]))
        elif kind == "subscribe-answer":
            await self.to_sfu(protocol.sfu_subscribe_answer(participant=p.id, sdp=message["sdp"]))
        elif kind == "ice":
            await self.to_sfu(
                protocol.sfu_ice(participant=p.id, pc=message["pc"], candidate=message["candidate"])
            )
        elif kind == "chat":
            await database_sync_to_async(services.post_chat)(participant=p, text=message["text"])
        elif kind == "media-state":
            await database_sync_to_async(services.set_media_state)(
                participant=p, audio=message["audio"], video=message["video"], screen=message["screen"]
            )
            muted = protocol.sfu_set_muted(
                participant=p.id, kind="audio", muted=not message["audio"], from_participant=p.id
            )
            await self.to_sfu(muted, quiet=True)
        elif kind == "moderate":
            await self.on_moderate(message)
        elif kind == "keyframe":
            await self.to_sfu(
                protocol.sfu_keyframe(
                    participant=message["participant"], from_participant=self.participant.id
                ),
                quiet=True,
            )
        elif kind == "media-restart-request":
            await self.on_media_restart_request()
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
        snapshot = await database_sync_to_async(selectors.join_snapshot)(
            participant, chat_limit=settings.CHAT_HISTORY
        )
        # Placed first, so `joined` says whether there is media and nothing contradicts it later.
        placed = await self.join_sfu()
        joined = protocol.server_joined(
            participant=selectors.participant_info(participant),
            participants=snapshot.others,
            chat=snapshot.chat,
            locked=snapshot.locked,
            ice_servers=turn.ice_servers(who=f"participant-{participant.id}"),
            media_message="" if placed else NO_MEDIA_SERVER,
        )
        await self.send_json(joined)

    async def join_sfu(self, avoid: str = "") -> bool:
        """Place the meeting on a live SFU worker (first placement wins) and join it there.

        ``avoid``: a worker that is shutting down (its heartbeat may still be visible). Returns
        False when no worker is usable (``self.sfu_worker`` is then "").
        """
        p = self.participant
        assert p is not None
        meeting = await database_sync_to_async(selectors.meeting_of)(p)
        current = meeting.sfu_worker
        worker = await placement.choose_worker(current=current, avoid=avoid)
        if worker is not None and worker != current:
            worker = await database_sync_to_async(services.place_meeting)(
                meeting=meeting, worker_id=worker, replacing=current
            )
        self.sfu_worker = worker or ""
        if not self.sfu_worker:
            await worker_watch().discard(self.channel_name)
            return False
        worker_watch().watch(self.sfu_worker, self.channel_name)  # tells us if it dies
        self.media_started_at = time.monotonic()
        join = protocol.sfu_join(
            meeting=meeting.id,
            room=self.room.id,
            meeting_started_at=meeting.started_at.timestamp(),
            captions=settings.CAPTIONS_ENABLED,
            participant=p.id,
            name=p.display_name,
            reply_channel=self.channel_name,
        )
        await self.to_sfu(join)
        return True

    async def _leave(self, reason: protocol.LeftReason) -> None:
        p, self.participant = self.participant, None
        if p is None:
            return
        await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
        await worker_watch().discard(self.channel_name)
        # Record the leave (and the meeting's end) before the SFU hears of it: the SFU's transcript
        # flush then always finds the meeting ended.
        await database_sync_to_async(services.leave_meeting)(participant=p, reason=reason)
        await self.to_sfu(protocol.sfu_leave(participant=p.id), quiet=True)

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
        target = await database_sync_to_async(selectors.participant_by_id)(message["participant"])
        if target is None:
            raise ValidationError("That participant is not in the meeting.")
        if action == "mute":
            await database_sync_to_async(services.mute_participant)(host=p, target=target)
            await self.to_sfu(
                protocol.sfu_set_muted(
                    participant=target.id, kind="audio", muted=True, from_participant=p.id
                ),
                quiet=True,
            )
        else:
            await database_sync_to_async(services.remove_participant)(host=p, target=target)
            await self.to_sfu(protocol.sfu_leave(participant=target.id), quiet=True)

    # --- helpers ------------------------------------------------------------------------------

    async def to_sfu(self, message: Mapping[str, Any], quiet: bool = False) -> None:
        """Send a command to the meeting's SFU worker; without one, refuse (or, ``quiet``, skip)."""
        if not self.sfu_worker:
            if not quiet:
                raise ProtocolError(
                    "media-unavailable", "No media server is available for this meeting right now."
                )
            return
        await self.channel_layer.send(protocol.sfu_channel(self.sfu_worker), dict(message))

    async def send_json(self, message: Mapping[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def send_error(self, code: str, message: str, fatal: bool = False) -> None:
        await self.send_json(protocol.server_error(code=code, message=message, fatal=fatal))

    # --- room group events and SFU replies ----------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channel-layer events: relayed to the browser through protocol.RELAY (the only path),
        or handled by a method below (protocol.CONSUMER_ACTIONS); anything else is dropped."""
        kind = message.get("type", "")
        relay = protocol.RELAY.get(kind)
        if relay is not None:
            frame = relay(message, self.participant.id if self.participant else None)
            if frame is not None:
                await self.send_json(frame)
        elif kind.startswith("websocket.") or kind in protocol.CONSUMER_ACTIONS:
            await super().dispatch(message)
        else:
            log.warning("Dropped a channel-layer event of unknown type %r", kind[:60])

    async def room_remove(self, event: protocol.RoomRemove) -> None:
        if self.participant is not None and self.participant.id == event["target"]:
            self.participant = None  # the service already recorded the leave
            await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
            await self.send_error("removed", f"{event['by']} removed you from the meeting.", fatal=True)
            await self.close(code=protocol.CLOSE_REMOVED)

    async def sfu_closed(self, event: protocol.SfuClosedReply) -> None:
        if self.participant is None or event.get("participant") != self.participant.id:
            return
        if event.get("worker") and event.get("worker") != self.sfu_worker:
            return  # from a worker this consumer already moved away from
        reason = event.get("reason")
        if reason == "server-shutdown":
            await self.move_media(
                avoid=self.sfu_worker, message="The media server is restarting; reconnecting audio and video…"
            )
        elif reason == "connection-lost":
            # The browser's media connection failed and nothing closed the socket: it vanished
            # (or lost its network). Record the leave; a page that is still there reconnects.
            await self._leave("disconnected")
            await self.close(code=protocol.CLOSE_MEDIA_LOST)
        else:
            self.sfu_worker = ""
            await worker_watch().discard(self.channel_name)
            await self.send_json(
                protocol.server_media_unavailable(message="The media connection was closed.")
            )

    async def sfu_worker_lost(self, event: protocol.SfuWorkerLostReply) -> None:
        """The meeting's worker died without a goodbye (sfu.watch): move, as for a shutdown."""
        dead = event.get("worker")
        if self.participant is None or not dead or dead != self.sfu_worker:
            return
        # In case it was only stalled: it drops us when it reads this (or the message expires).
        await self.to_sfu(protocol.sfu_leave(participant=self.participant.id), quiet=True)
        await self.move_media(avoid=dead, message="The media server stopped; reconnecting audio and video…")

    async def on_media_restart_request(self) -> None:
        """The page's peer connections failed: fresh ones on the meeting's worker (the same one
        while it lives), same socket, same participant."""
        if time.monotonic() - self.media_started_at < MEDIA_RESTART_MIN_INTERVAL:
            raise ProtocolError("rate-limited", "The media is already being restarted; wait a few seconds.")
        await self.move_media(avoid="", message="Reconnecting audio and video…")

    async def move_media(self, *, avoid: str, message: str) -> None:
        """Re-place the meeting (the first consumer to ask places it, the others follow) and
        rejoin there; the browser rebuilds its peer connections (``media-restart``)."""
        if await self.join_sfu(avoid=avoid):
            await self.send_json(protocol.server_media_restart(message=message))
        else:
            await self.send_json(protocol.server_media_unavailable(message=NO_MEDIA_SERVER))
