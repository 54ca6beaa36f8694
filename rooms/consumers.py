"""WebSocket signaling for one participant: thin; parses, checks permission, calls services.

Browser <-> this consumer <-> the meeting's SFU worker (over the channel layer). Message shapes are
in conference.protocol; validation in rooms.validation; the media half in rooms.consumer_media.

The consumer holds its participant only while its connection lives: a presence beat vouches for
it (rooms.presence), a reconnect resumes it (the ``resume`` token of ``joined``), and any
unexpected error is logged, answered with an error and leaves the records consistent.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.websocket_auth import claimed_user, forget_handshake, resolve_user, settle_user
from conference import logs, protocol, turn
from conference.errors import error_text
from conference.middleware import request_id_from
from conference.ratelimit import scope_client_ip
from rooms import consumer_loop, metrics, moderation, selectors, services
from rooms.consumer_media import MediaMixin
from rooms.consumer_moderation import ModerationMixin
from rooms.consumer_waiting import WaitingMixin
from rooms.models import Participant, Room
from rooms.presence import PresenceBeat
from rooms.validation import ProtocolError, TokenBucket, parse_client_message
from sfu.watch import worker_watch

log = logging.getLogger(__name__)

SERVER_ERROR = "Something went wrong on the server; that request was not completed."
# Close codes of a socket closed on purpose: 1000 (the page closed it) and 1001 (the tab closed or
# navigated away). Any other code is a drop, after which the page reconnects and resumes.
CLOSED_ON_PURPOSE = (1000, 1001)


def _address(scope: Mapping[str, Any]) -> str | None:
    try:
        return str(ipaddress.ip_address(scope_client_ip(dict(scope))))
    except ValueError:
        return None


class RoomConsumer(WaitingMixin, ModerationMixin, MediaMixin, AsyncWebsocketConsumer):
    room: Room
    participant: Participant | None = None
    sfu_worker: str = ""

    # --- connection ---------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """When the consumer dies without a disconnect (its channel-layer receive failed: Redis
        went away), stop the presence beat and keep the place: the page reconnects and resumes
        it, or the reaper ends it."""
        try:
            await consumer_loop.serve(self, scope, receive, send)  # Channels' __call__, our loop
        finally:
            if getattr(self, "counted", False):  # however the consumer ended
                metrics.WEBSOCKETS.dec()
            presence = getattr(self, "presence", None)
            if presence is not None:
                await presence.stop()

    async def connect(self) -> None:
        # One id per socket (the handshake's X-Request-ID when a proxy set one), bound for every
        # log line of this consumer's task; the join adds the meeting, participant and worker ids.
        headers = dict(self.scope.get("headers") or [])
        logs.bind(request_id=request_id_from(headers.get(b"x-request-id", b"").decode("latin-1")))
        self.counted = False
        self.participant = None
        self.sfu_worker = ""
        self.media_started_at = 0.0  # time.monotonic() of the last join on an SFU worker
        self.strikes = 0
        self.presence = PresenceBeat()
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST, time.monotonic())
        slug = self.scope["url_route"]["kwargs"]["slug"]
        settled = await self.room_on_the_loop(slug)
        room = settled[0] if settled is not None else await database_sync_to_async(self.room_to_enter)(slug)
        if room is None:
            # Refused at the handshake: nothing recorded, nothing joined.
            await self.close()
            return
        self.room = room
        self.client_address = _address(self.scope)
        forget_handshake(self.scope)
        await self.accept()
        metrics.WEBSOCKETS.inc()
        self.counted = True

    async def room_on_the_loop(self, slug: str) -> tuple[Room | None] | None:
        """``room_to_enter`` without the database thread, for the usual signed-in session already
        read from Redis: the same query on the event loop's connection, the same rules. None
        when it does not decide (``room_to_enter`` then does, all of it, in the thread)."""
        claim = claimed_user(self.scope, loaded_only=True)
        if claim is None:
            return None
        got = await selectors.aroom_and_user(slug, claim[0])
        if got is None or not settle_user(self.scope, claim[1], got[1]):
            return None
        room, user, is_member = got
        self.guest_name, self.guest_key = "", self.scope["session"].get("guest_key", "")
        if room is None or not selectors.can_enter_room(user, room, is_member=is_member):
            return (None,)
        return (room,)

    def room_to_enter(self, slug: str) -> Room | None:
        """The handshake's database work, in one call: the user (deferred by the middleware),
        the session's guest identity and the room (with the user, in one query, when it can)."""
        fast: tuple[Room | None, bool] | None = None
        claim = claimed_user(self.scope)  # a signed-in session: the user with the room, one query
        if claim is not None:
            room, found, is_member = selectors.room_and_user(slug, claim[0])
            if settle_user(self.scope, claim[1], found):
                fast = room, is_member
        user = resolve_user(self.scope)  # Django's rule, when the above did not settle it
        session = self.scope.get("session") or {}
        signed_in = getattr(user, "is_authenticated", False)
        self.guest_name = session.get("guest_name", "") if not signed_in else ""
        self.guest_key = session.get("guest_key", "")
        if fast is None:
            return selectors.room_to_enter(slug, user, guest_name=self.guest_name)
        room, is_member = fast
        if room is None or not selectors.can_enter_room(user, room, is_member=is_member):
            return None
        return room

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # Channels' own also closes stale database connections (see dispatch); no class groups.
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        await self.leave_lobby()
        p = self.participant
        if code not in CLOSED_ON_PURPOSE and p is not None:
            # Dropped, not closed (a network change, a proxy or web process restarting): keep
            # the place for the page's resume; without our beat the reaper ends it if nobody does.
            log.info("Participant %s dropped (close code %s): place kept for a resume", p.id, code)
            self.participant = None
            await self.presence.stop()
            await worker_watch().discard(self.channel_name)
            try:
                await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
            except Exception as e:
                log.warning("Could not leave the room group: %r", e)
            return
        try:
            await self._leave("disconnected")
        except Exception:
            # The database refused the leave: without our presence beat the reaper ends it.
            log.exception("Leave of participant %s in room %s failed", p.id if p else None, self.room.id)
        finally:
            await self.presence.stop()
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
        message: dict[str, Any] = {}
        try:
            message = parse_client_message(text_data)
            metrics.CLIENT_MESSAGES.labels(message["type"]).inc()
            await self.dispatch_client(message)
        except ProtocolError as e:
            await self.send_error(e.code, e.message)
        except (ValidationError, PermissionDenied) as e:
            code = "not-allowed" if isinstance(e, PermissionDenied) else "invalid"
            await self.send_error(code, error_text(e))
        except Exception:
            # A bug, the database or Redis failing: say so, keep the connection (the state
            # below stays consistent: each write is one transaction).
            log.exception(
                "Error handling %r from participant %s in room %s",
                message.get("type"),
                self.participant.id if self.participant else None,
                self.room.id,
            )
            await self.send_error("server-error", SERVER_ERROR)

    async def dispatch_client(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "join":
            await self.on_join(resume=message.get("resume", ""))
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
        elif kind == "ask-unmute":
            await database_sync_to_async(moderation.ask_to_unmute)(participant=p)
        elif kind == "moderate":
            await self.on_moderate(message)
        elif kind in ("hand", "reaction"):
            await self.on_gesture(message)
        elif kind == "keyframe":
            await self.to_sfu(
                protocol.sfu_keyframe(participant=message["participant"], from_participant=p.id),
                quiet=True,
            )
        elif kind == "visible":
            visible = protocol.sfu_set_visible(participant=p.id, visible=message["participants"])
            await self.to_sfu(visible, quiet=True)
        elif kind == "media-restart-request":
            await self.on_media_restart_request()
        elif kind == "leave":
            await self._leave("left")
            await self.close(code=1000)

    # --- join / leave -------------------------------------------------------------------------

    async def refuse(self, code: str, message: str, close_code: int) -> None:
        await self.send_error(code, message, fatal=True)
        await self.close(code=close_code)

    async def on_join(self, *, resume: str = "") -> None:
        if self.participant is not None:
            raise ProtocolError("already-joined", "You already joined this meeting.")
        try:
            entry = await database_sync_to_async(services.enter_meeting)(
                room=self.room,
                user=self.scope.get("user"),
                guest_name=self.guest_name,
                guest_key=self.guest_key,
                channel_name=self.channel_name,
                resume_token=resume,
                client_address=self.client_address,
            )
        except services.MustWait:
            return await self.wait_in_lobby(resume=resume)
        except services.Denied:
            return await self.refuse(
                "denied", protocol.CLOSE_REASONS[protocol.CLOSE_DENIED], protocol.CLOSE_DENIED
            )
        except services.RoomLocked:
            return await self.refuse(
                "locked", "This room is locked by its host. Ask the host to unlock it.", protocol.CLOSE_LOCKED
            )
        except services.Removed:
            return await self.refuse(
                "removed",
                "The host removed you from this meeting. Only a host can let you back in.",
                protocol.CLOSE_REMOVED,
            )
        except services.NotAllowed:
            return await self.refuse(
                "not-allowed", "You are not allowed to enter this room.", protocol.CLOSE_NOT_ALLOWED
            )
        except services.AddressLimit as e:
            return await self.refuse(
                "room-full",
                f"Too many guests ({e.limit}) from your network are in this meeting already.",
                protocol.CLOSE_ROOM_FULL,
            )
        except services.RoomFull as e:
            return await self.refuse(
                "room-full",
                f"The room is full ({e.limit} people). Try again later.",
                protocol.CLOSE_ROOM_FULL,
            )
        self.participant = entry.participant
        try:
            await self._start(entry)
        except Exception:
            # Half-joined (Redis or the database failed): give the place back, let the page retry.
            log.exception("Join of participant %s in room %s failed", entry.participant.id, self.room.id)
            await self._leave("disconnected")
            await self.refuse("server-error", SERVER_ERROR, protocol.CLOSE_SERVER_ERROR)

    async def _start(self, entry: services.Entry) -> None:
        p = entry.participant
        logs.bind(meeting=p.meeting_id, participant=p.id)
        metrics.JOINS.inc()
        log.info("Participant joined room %s", self.room.id)
        await self.presence.start(p.id, self.channel_name)
        await self.channel_layer.group_add(protocol.room_group(self.room.id), self.channel_name)
        snapshot = await database_sync_to_async(selectors.join_snapshot)(p, chat_limit=settings.CHAT_HISTORY)
        if entry.resumed:
            log.info("Participant %s resumed in room %s", p.id, self.room.id)
        # Placed first, so `joined` says whether there is media and nothing contradicts it later.
        placed = await self.join_sfu()
        joined = protocol.server_joined(
            participant=snapshot.me,
            participants=snapshot.others,
            chat=snapshot.chat,
            locked=snapshot.locked,
            ice_servers=turn.ice_servers(who=f"participant-{p.id}"),
            media_message="" if placed else self.media_refusal,
            media_retry_after=None if placed else self.media_retry_after,
            resume=entry.resume_token,
            removed=snapshot.removed,
            waiting=snapshot.waiting,
        )
        await self.send_json(joined)

    async def _leave(self, reason: protocol.LeftReason) -> None:
        """Give the place up, if this connection still holds it. The database comes first (the
        SFU's transcript flush must find the meeting ended); Redis failures only delay the rest:
        without a presence beat, the reaper ends what is left."""
        p, self.participant = self.participant, None
        if p is None:
            return
        await self.presence.stop()
        recorded = await database_sync_to_async(services.release_place)(
            participant=p, channel_name=self.channel_name, reason=reason
        )
        if not recorded:
            return  # taken over by a newer connection of the same person: its media stays
        log.info("Participant left (%s)", reason)
        await self.presence.stop(forget=True)
        for step in (
            self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name),
            worker_watch().discard(self.channel_name),
            self.to_sfu(protocol.sfu_leave(participant=p.id), quiet=True),
        ):
            try:
                await step
            except Exception as e:
                log.warning("Leave of participant %s: %r", p.id, e)

    # --- helpers ------------------------------------------------------------------------------

    async def send_json(self, message: Mapping[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def send_error(self, code: str, message: str, fatal: bool = False) -> None:
        metrics.ERRORS.labels(code).inc()
        await self.send_json(protocol.server_error(code=code, message=message, fatal=fatal))

    # --- room group events and SFU replies ----------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channel-layer events: relayed to the browser through protocol.RELAY (the only path),
        or handled by a method below (protocol.CONSUMER_ACTIONS); anything else is dropped."""
        kind = message.get("type", "")
        me = self.participant.id if self.participant else None
        try:
            relay = protocol.RELAY.get(kind)
            if kind == "sfu.error":  # the SFU's codes are a fixed set (sfu.guards.CommandError)
                metrics.ERRORS.labels(str(message.get("code", ""))[:40]).inc()
            if relay is not None:
                ours = me is not None and message.get("participant") == me
                if kind == "room.participant_left" and ours and message.get("reason") != "removed":
                    return await self.lost_place()  # (a removal: room.remove follows and says so)
                frame = relay(message, me)
                if frame is not None:
                    await self.send_json(frame)
            elif kind.startswith("websocket.") or kind in protocol.CONSUMER_ACTIONS:
                # Not Channels' dispatch: it first closes stale database connections in a thread
                # hop, for every message. Ours are only used through database_sync_to_async,
                # which does that itself around each call.
                await getattr(self, get_handler_name(message))(message)
            else:
                log.warning("Dropped a channel-layer event of unknown type %r", kind[:60])
        except Exception:
            if kind.startswith("websocket."):
                raise  # connect/receive/disconnect have their own handling; Channels closes
            log.exception(
                "Error handling event %r for participant %s in room %s", kind[:60], me, self.room.id
            )

    async def lost_place(self) -> None:
        """Our participant was ended elsewhere (the reaper, when our beats did not reach Redis):
        close so that the page reconnects and joins again."""
        self.participant = None
        await self.presence.stop()
        await self.close(code=protocol.CLOSE_SERVER_ERROR)

    async def room_remove(self, event: protocol.RoomRemove) -> None:
        if self.participant is not None and self.participant.id == event["target"]:
            self.participant = None  # the service already recorded the leave
            await self.presence.stop(forget=True)
            await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
            await self.send_error("removed", f"{event['by']} removed you from the meeting.", fatal=True)
            await self.close(code=protocol.CLOSE_REMOVED)

    async def room_takeover(self, event: protocol.RoomTakeover) -> None:
        """A newer connection of the same person holds our participant now: close, leaving
        nothing (its place, presence and media are the newer connection's)."""
        if self.participant is None or self.participant.id != event["target"]:
            return
        self.participant = None
        await self.presence.stop()
        await self.channel_layer.group_discard(protocol.room_group(self.room.id), self.channel_name)
        await worker_watch().discard(self.channel_name)
        await self.refuse(
            "taken-over", protocol.CLOSE_REASONS[protocol.CLOSE_TAKEN_OVER], protocol.CLOSE_TAKEN_OVER
        )
