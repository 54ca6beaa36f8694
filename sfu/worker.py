"""The SFU worker: one asyncio object that owns every meeting placed on it.

Each participant has two peer connections: a publish PC (the browser offers audio, camera and
screen, sendonly) and a subscribe PC (the SFU offers one audio+video+screen triple of sendonly
transceivers per other publisher). Media is forwarded at the RTP level (sfu.aiortc_hooks): no
decoding, no re-encoding.

``handle()`` only routes a command to its meeting's queue (sfu.meeting), so the loop reading the
worker's channel never waits, and one meeting never waits on another. Peer connections and audio
taps close in closer tasks the worker owns (bounded), outside every command.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from typing import Any

from conference import protocol
from sfu import aiortc_hooks, aiortc_hooks_io, aiortc_hooks_ports
from sfu.guards import CommandError, announce, is_int
from sfu.limits import Limits, only_loopback
from sfu.meeting import Meeting
from sfu.peer import Slot
from sfu.stats import report
from sfu.taps import AudioTap, AudioTapFactory, Send

logger = logging.getLogger(__name__)

COMMANDS = frozenset(
    {
        "sfu.join",
        "sfu.publish_offer",
        "sfu.subscribe_answer",
        "sfu.ice",
        "sfu.set_muted",
        "sfu.keyframe",
        "sfu.set_visible",
        "sfu.leave",
        "sfu.stats",
    }
)
CONNECTION_LOST_GRACE = 2.0  # a page's media restart re-joins within this after closing its PCs
JOIN_FIELDS = {"meeting": int, "room": int, "participant": int, "reply_channel": str, "name": str}


class SfuWorker:
    def __init__(
        self,
        send: Send,
        *,
        ice_servers: list[dict[str, Any]] | None = None,
        host_addresses: list[str] | None = None,
        announced_ip: str = "",
        port_range: tuple[int, int] = (0, 0),
        pli_min_interval: float | None = None,
        audio_tap_factory: AudioTapFactory | None = None,
        limits: Limits | None = None,
        worker_id: str = "",
    ) -> None:
        self.send = send
        self.worker_id = worker_id  # named in sfu.closed and as the source of caption requests
        self.ice_servers = list(ice_servers or [])
        self.announced_ip = announced_ip
        self.audio_tap_factory = audio_tap_factory
        if limits is None:  # an SFU that gathers on loopback only can reach nothing else anyway
            limits = Limits(allow_private_candidates=only_loopback(host_addresses or []))
        if pli_min_interval is not None:
            limits = limits.but(pli_min_interval=pli_min_interval)
        self.limits = limits
        self.participants: dict[int, Any] = {}  # participant id -> sfu.peer.Participant
        self.meetings: dict[int, Meeting] = {}
        self.routes: dict[int, int] = {}  # participant id -> meeting id, from its queued join on
        self.stats: Counter[str] = Counter()
        self.retired: Counter[str] = Counter()  # RTP counts of participants gone (sfu.metrics)
        self.closed = False
        self._closers: set[asyncio.Task[Any]] = set()
        if host_addresses:
            aiortc_hooks.set_host_addresses(host_addresses)
        if port_range != (0, 0):
            aiortc_hooks_ports.set_port_range(*port_range)
        # Every datagram a socket has queued is read per wakeup (up to a bound), not one per
        # event-loop turn: a publisher's frame arrives as a burst of packets. SFU_DATAGRAM_DRAIN=0
        # keeps asyncio's one-per-turn reader (for side-by-side measurements).
        if os.environ.get("SFU_DATAGRAM_DRAIN", "1") != "0":
            aiortc_hooks_io.install_datagram_drain()

    @classmethod
    def from_settings(
        cls,
        send: Send,
        settings: Any,
        *,
        audio_tap_factory: AudioTapFactory | None = None,
        worker_id: str = "",
    ) -> SfuWorker:
        return cls(
            send,
            ice_servers=settings.SFU_ICE_SERVERS,
            host_addresses=settings.SFU_HOST_ADDRESSES,
            announced_ip=settings.SFU_ANNOUNCED_IP,
            port_range=(settings.SFU_PORT_MIN, settings.SFU_PORT_MAX),
            audio_tap_factory=audio_tap_factory,
            limits=Limits.from_settings(settings),
            worker_id=worker_id,
        )

    # ------------------------------------------------------------------ state

    @property
    def load(self) -> int:
        return len(self.participants)

    @property
    def streams(self) -> int:
        """Subscriber streams forwarded now (one publisher's audio/camera/screen to one person)."""
        return sum(p.streams_forwarded() for p in self.participants.values())

    @property
    def full(self) -> bool:
        """At its participant cap or its stream capacity: the heartbeat says so, placement puts
        no new meeting here, and joins are refused with ``server-full``."""
        cap = self.limits.max_streams_per_worker
        return len(self.participants) >= self.limits.max_participants_per_worker or (
            cap > 0 and self.streams >= cap
        )

    @property
    def video_decoder_count(self) -> int:
        """Video decoders created on behalf of this process's SFU receivers (must stay 0)."""
        return aiortc_hooks.sfu_decoder_counts["video"]

    def publisher_tracks(self, participant: int) -> dict[str, aiortc_hooks.PublisherTrack]:
        p = self.participants.get(participant)
        return dict(p.sources) if p else {}

    def subscriber_streams(self, participant: int) -> list[Slot]:
        p = self.participants.get(participant)
        return list(p.slots) if p else []

    @property
    def closers(self) -> int:
        return len(self._closers)

    # --------------------------------------------------------------- commands

    async def handle(self, message: dict[str, Any]) -> None:
        """Queue one command with its meeting and return; bad input becomes an ``sfu.error``."""
        try:
            if self._stats_now(message):
                await self.reply(message["reply_channel"], dict(report(self, message)))
                return
            self._enqueue(message)
        except CommandError as exc:
            await self.error(message, exc.code, exc.message)

    def _stats_now(self, message: Any) -> bool:
        """An sfu.stats without a participant is answered at once; with one, it queues."""
        if not isinstance(message, dict) or message.get("type") != "sfu.stats":
            return False
        if not isinstance(message.get("reply_channel"), str) or not is_int(message.get("token")):
            raise CommandError("invalid", "sfu.stats needs 'reply_channel' (str) and 'token' (int).")
        return "participant" not in message

    async def call(self, message: dict[str, Any], timeout: float = 30.0) -> None:
        """Like handle(), then wait (bounded) until the command ran: for tests and benches."""
        try:
            done = self._enqueue(message)
        except CommandError as exc:
            await self.error(message, exc.code, exc.message)
            return
        if done is not None:
            await asyncio.wait([done], timeout=timeout)

    def _enqueue(self, message: dict[str, Any]) -> asyncio.Future[None] | None:
        if not isinstance(message, dict):
            logger.warning("SFU command is not a dict: %r", message)
            return None
        if self.closed:
            raise CommandError("closed", "The media server is shutting down.")
        kind = message.get("type")
        if kind not in COMMANDS:
            raise CommandError("unknown-type", f"Unknown SFU command type {kind!r}.")
        pid = message.get("participant")
        if not is_int(pid):
            raise CommandError("invalid", "The command needs an integer 'participant'.")
        if kind == "sfu.join":
            for key, typ in JOIN_FIELDS.items():
                if not isinstance(message.get(key), typ) or (typ is int and not is_int(message[key])):
                    raise CommandError("invalid", f"sfu.join needs {key!r} ({typ.__name__}).")
            meeting_id = message["meeting"]
            after = None
            previous = self.routes.get(pid)
            if previous is not None and previous != meeting_id and previous in self.meetings:
                after = self.meetings[previous].enqueue(dict(protocol.sfu_leave(participant=pid)))
            meeting = self.meetings.get(meeting_id)
            if meeting is None:
                meeting = self.meetings[meeting_id] = Meeting(self, meeting_id)
            done = meeting.enqueue(message, after)
            self.routes[pid] = meeting_id
            return done
        sender = pid
        if kind == "sfu.keyframe":  # routed by who asks; the named publisher must be in that meeting
            sender = message.get("from_participant")
            if not is_int(sender):
                raise CommandError("invalid", "sfu.keyframe needs an integer 'from_participant'.")
        meeting_id = self.routes.get(sender)
        meeting = self.meetings.get(meeting_id) if meeting_id is not None else None
        if meeting is None:
            raise CommandError("unknown-participant", f"Participant {sender} has not joined.")
        return meeting.enqueue(message)

    async def error(self, message: dict[str, Any], code: str, text: str) -> None:
        participant = message.get("participant") if isinstance(message, dict) else None
        channel = message.get("reply_channel") if isinstance(message, dict) else None
        sender = message.get("from_participant", participant) if isinstance(message, dict) else None
        p = self.participants.get(sender) if is_int(sender) else None
        if p is not None:
            channel = p.reply_channel
        if not isinstance(channel, str) or not channel:
            logger.warning("SFU error without reply channel: %s %s", code, text)
            return
        reply = protocol.sfu_error(
            participant=participant if is_int(participant) else 0, code=code, message=text
        )
        await self.reply(channel, dict(reply))

    async def reply(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await self.send(channel, message)
        except Exception:
            logger.exception("SFU could not send %s to %s", message.get("type"), channel)

    def _announce(self, sdp: str) -> str:
        return announce(sdp, self.announced_ip)

    def forget_route(self, participant: int, meeting_id: int) -> None:
        if self.routes.get(participant) == meeting_id:
            del self.routes[participant]

    # ---------------------------------------------------------------- teardown

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)
        return task

    def close_later(self, participant: int, pcs: list[Any]) -> None:
        for pc in pcs:
            self._spawn(self._close_pc(participant, pc), f"sfu-close-pc-{participant}")

    async def _close_pc(self, participant: int, pc: Any) -> None:
        try:
            await asyncio.wait_for(pc.close(), self.limits.pc_close_timeout)
        except Exception:
            logger.warning("closing a peer connection of participant %s failed", participant, exc_info=True)

    def close_tap_later(self, meeting: Meeting, tap: AudioTap) -> asyncio.Task[None]:
        return self._spawn(self._close_tap(meeting, tap), f"sfu-close-tap-{meeting.id}")

    async def _close_tap(self, meeting: Meeting, tap: AudioTap) -> None:
        try:
            meeting.finals += int(await asyncio.wait_for(tap.close(), self.limits.tap_close_timeout))
        except Exception:
            logger.exception("closing an audio tap failed")

    def watch_pc(self, p: Any, pc: Any) -> None:
        """Drop p if this peer connection fails or closes from the browser's end (see on_pc_state)."""
        pc.on("connectionstatechange", lambda: self.on_pc_state(p, pc))

    def on_pc_state(self, p: Any, pc: Any) -> None:
        """A peer connection of p failed or closed while p is still here. Our own closes come after
        p is forgotten, so it is the browser's end: its ICE consent expired (aiortc then closes the
        connection itself: the browser vanished without closing its socket), or the page closed it
        for a media restart, whose new sfu.join follows within moments."""
        if (
            pc.connectionState in ("failed", "closed")
            and self.participants.get(p.id) is p
            and not self.closed
        ):
            self._spawn(self._connection_lost(p), f"sfu-lost-{p.id}")

    async def _connection_lost(self, p: Any) -> None:
        """Unless p re-joined meanwhile (a media restart), drop it through its meeting's queue."""
        await asyncio.sleep(CONNECTION_LOST_GRACE)
        meeting = self.meetings.get(p.meeting)
        if meeting is None or self.participants.get(p.id) is not p or self.closed:
            return  # left or re-joined meanwhile
        try:
            meeting.enqueue({"type": "sfu.connection_lost", "participant": p.id, "peer": p})
        except CommandError:
            logger.warning("participant %s: connection lost, but its meeting's queue is full", p.id)

    def meeting_done(self, meeting: Meeting) -> None:
        """The meeting's last participant left: its runner has ended; flush captions after its taps."""
        if self.meetings.get(meeting.id) is meeting:
            del self.meetings[meeting.id]
        if meeting.captions:
            self._spawn(self._flush(meeting), f"sfu-flush-{meeting.id}")

    async def _flush(self, meeting: Meeting) -> None:
        if meeting.tap_closers:
            await asyncio.wait(meeting.tap_closers, timeout=self.limits.tap_close_timeout + 1)
        flush = protocol.transcribe_flush(meeting=meeting.id, finals=meeting.finals, source=self.worker_id)
        await self.reply(protocol.TRANSCRIBE_CHANNEL, dict(flush))

    async def close(self, reason: str = "server-shutdown") -> None:
        """Finish running commands, tell every participant, close every connection and tap."""
        if self.closed:
            return
        self.closed = True
        meetings = list(self.meetings.values())
        for meeting in meetings:
            meeting.stop()
        runners = [m.task for m in meetings if not m.task.done()]
        if runners:
            _, late = await asyncio.wait(runners, timeout=self.limits.pc_close_timeout)
            for task in late:  # a command stuck this long is stopped, as the process would be
                logger.warning("SFU meeting task %s did not finish; cancelling it", task.get_name())
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
        for p in list(self.participants.values()):
            closed = protocol.sfu_closed(participant=p.id, reason=reason, worker=self.worker_id)
            await self.reply(p.reply_channel, dict(closed))
        for meeting in meetings:
            meeting.remove_all()
            self.meeting_done(meeting)
        await self.drain(self.limits.tap_close_timeout + 1)

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) for the closer tasks; cancel, then await, what is left."""
        if self._closers:
            await asyncio.wait(set(self._closers), timeout=timeout)
        left = set(self._closers)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)
