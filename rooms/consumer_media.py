"""The media half of the room consumer: placing the meeting on an SFU worker, talking to it, and
moving to another worker when it stops, dies or the page's peer connections fail."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from django.conf import settings

from conference import logs, protocol, turn
from rooms import selectors, services
from rooms.media_breaker import BREAKER_OPEN, MediaBreakerOpen, guarded
from rooms.models import Participant, Room
from rooms.validation import ProtocolError
from sfu import placement
from sfu.watch import worker_watch

log = logging.getLogger(__name__)

NO_MEDIA_SERVER = "No media server is running; chat works, audio and video do not."
SERVERS_FULL = "Every media server is full; chat works. Try joining again in a few minutes."
MEDIA_SERVER_BUSY = "The media server is too busy right now; chat works. Trying again shortly."
# A page asks for fresh media when its peer connections fail; more often than this is refused.
MEDIA_RESTART_MIN_INTERVAL = 5.0


class MediaMixin:
    """Needs ``participant``, ``room``, ``channel_name``, ``channel_layer``, ``send_json`` and
    ``_leave``/``close`` from the consumer."""

    room: Room
    participant: Participant | None
    sfu_worker: str
    media_started_at: float
    # Why the last join_sfu found no media, and (a breaker is open) when to try again.
    media_refusal: str = NO_MEDIA_SERVER
    media_retry_after: float | None = None
    channel_name: str
    channel_layer: Any

    if TYPE_CHECKING:  # provided by RoomConsumer

        async def send_json(self, message: Mapping[str, Any]) -> None: ...
        async def close(self, code: int | bool | None = None, reason: str | None = None) -> None: ...
        async def _leave(self, reason: protocol.LeftReason) -> None: ...

    async def join_sfu(self, avoid: str = "") -> bool:
        """Place the meeting on a live SFU worker (first placement wins) and join it there.

        ``avoid``: a worker that is shutting down (its heartbeat may still be visible). Returns
        False when no worker is usable (``self.sfu_worker`` is then "", ``media_refusal`` says
        why in words).
        """
        p = self.participant
        assert p is not None
        self.media_refusal, self.media_retry_after = NO_MEDIA_SERVER, None
        meeting = await database_sync_to_async(selectors.meeting_of)(p)
        current = meeting.sfu_worker
        try:
            worker = await guarded(lambda: placement.choose_worker(current=current, avoid=avoid))
        except MediaBreakerOpen as exc:  # Redis down or stalled: chat only, at once
            self.media_refusal, self.media_retry_after = BREAKER_OPEN, exc.retry_after
            worker = None
        if worker is None and self.media_refusal == NO_MEDIA_SERVER:
            try:  # workers there are, but none has room (their capacity: docs/sfu.md#capacity)
                if await guarded(placement.live_workers):
                    self.media_refusal = SERVERS_FULL
            except MediaBreakerOpen:
                pass
        if worker is not None and worker != current:
            worker = await database_sync_to_async(services.place_meeting)(
                meeting=meeting, worker_id=worker, replacing=current
            )
        self.sfu_worker = worker or ""
        logs.bind(worker=self.sfu_worker or None)
        if not self.sfu_worker:
            log.info("No live SFU worker for the meeting: chat only")
            await worker_watch().discard(self.channel_name)
            return False
        log.info("Media on SFU worker %s", self.sfu_worker)
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
        try:
            await self.to_sfu(join)
        except ProtocolError as exc:  # the worker's channel is full, or the breaker: chat goes on
            if exc.code == "media-unavailable":
                self.media_refusal, self.media_retry_after = BREAKER_OPEN, self.media_retry_after or 1.0
            self.sfu_worker = ""
            await worker_watch().discard(self.channel_name)
            return False
        return True

    async def to_sfu(self, message: Mapping[str, Any], quiet: bool = False) -> None:
        """Send a command to the meeting's SFU worker; without one (or with its channel full),
        refuse with a ProtocolError (or, ``quiet``, log and skip)."""
        if not self.sfu_worker:
            if not quiet:
                raise ProtocolError(
                    "media-unavailable", "No media server is available for this meeting right now."
                )
            return
        channel = protocol.sfu_channel(self.sfu_worker)
        try:
            await guarded(lambda: self.channel_layer.send(channel, dict(message)))
        except MediaBreakerOpen as exc:
            self.media_retry_after = exc.retry_after
            log.warning(
                "Dropped %s for SFU worker %s: its breaker is open", message.get("type"), self.sfu_worker
            )
            if not quiet:
                raise ProtocolError("media-unavailable", BREAKER_OPEN) from None
        except ChannelFull:
            log.warning(
                "SFU worker %s's channel is full: dropped %s for participant %s",
                self.sfu_worker,
                message.get("type"),
                self.participant.id if self.participant else None,
            )
            if not quiet:
                raise ProtocolError("media-busy", MEDIA_SERVER_BUSY) from None

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
            assert self.participant is not None
            servers = turn.ice_servers(who=f"participant-{self.participant.id}")
            await self.send_json(protocol.server_media_restart(message=message, ice_servers=servers))
        else:
            await self.send_json(
                protocol.server_media_unavailable(
                    message=self.media_refusal, retry_after=self.media_retry_after
                )
            )
