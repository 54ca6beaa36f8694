"""One meeting on an SFU worker: its participants and its own command queue.

Commands of a meeting run one at a time in the meeting's task, so no meeting ever waits on
another meeting's work. Closing peer connections and audio taps is handed to the worker's closer
tasks, so no command waits on a teardown either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from aiortc.sdp import candidate_from_sdp

from conference import logs, protocol
from sfu import metrics
from sfu.aiortc_hooks_guard import InboundGuard
from sfu.guards import (
    CommandError,
    TokenBucket,
    announce,
    candidate_refusal,
    codecs,
    description,
    is_int,
    parse_sdp,
)
from sfu.peer import KINDS, Participant, new_pc
from sfu.stats import report
from sfu.taps import AudioTapContext

if TYPE_CHECKING:
    from sfu.worker import SfuWorker

logger = logging.getLogger(__name__)


Item = tuple[dict[str, Any], "asyncio.Future[None]", "asyncio.Future[None] | None", float]


class Meeting:
    def __init__(self, worker: SfuWorker, meeting_id: int) -> None:
        self.worker = worker
        self.limits = worker.limits
        self.id = meeting_id
        self.participants: set[int] = set()
        self.captions = False
        self.finals = 0
        self.tap_closers: list[asyncio.Task[None]] = []
        self.queue: asyncio.Queue[Item | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._run(), name=f"sfu-meeting-{meeting_id}")

    # ---------------------------------------------------------------- queue

    def enqueue(
        self, message: dict[str, Any], after: asyncio.Future[None] | None = None
    ) -> asyncio.Future[None]:
        if self.queue.qsize() >= self.limits.max_queued_commands:
            raise CommandError("busy", "The media server is busy with this meeting; try again in a moment.")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((message, done, after, time.monotonic()))
        return done

    def stop(self) -> None:
        self.queue.put_nowait(None)

    async def _run(self) -> None:
        logs.bind(meeting=self.id, worker=self.worker.worker_id or None)  # this task's log lines
        while True:
            item = await self.queue.get()
            if item is None:
                return
            message, done, after, queued_at = item
            token = logs.bind(participant=message.get("participant"))
            try:
                if after is not None:  # the same participant leaving another meeting first
                    await asyncio.wait([after], timeout=self.limits.pc_close_timeout)
                await self._dispatch(message)
            except CommandError as exc:
                logger.info("SFU command %s refused: %s", message.get("type"), exc.code)
                await self.worker.error(message, exc.code, exc.message)
            except Exception:
                logger.exception("SFU command %s failed", message.get("type"))
                await self.worker.error(
                    message, "internal", "The media server could not handle this command."
                )
            finally:
                metrics.COMMAND_SECONDS.labels(message["type"]).observe(time.monotonic() - queued_at)
                logs.unbind(token)
                if not done.done():
                    done.set_result(None)
            if not self.participants and self.queue.empty():
                self.worker.meeting_done(self)  # no await between the check and this: no race
                return

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if self.worker.closed:
            raise CommandError("closed", "The media server is shutting down.")
        handler = {
            "sfu.join": self._join,
            "sfu.publish_offer": self._publish_offer,
            "sfu.subscribe_answer": self._subscribe_answer,
            "sfu.ice": self._ice,
            "sfu.set_muted": self._set_muted,
            "sfu.keyframe": self._keyframe,
            "sfu.set_visible": self._set_visible,
            "sfu.leave": self._leave,
            "sfu.stats": self._stats,
            "sfu.connection_lost": self._connection_lost,  # internal: from SfuWorker.on_pc_state
        }[message["type"]]
        await handler(message)

    # ------------------------------------------------------------- commands

    def _get(self, message: dict[str, Any], key: str = "participant") -> Participant:
        pid = message.get(key)
        p = self.worker.participants.get(pid) if isinstance(pid, int) else None
        if p is None or p.meeting != self.id:
            raise CommandError("unknown-participant", f"Participant {pid} has not joined this meeting.")
        return p

    def _others(self, p: Participant) -> list[Participant]:
        return [self.worker.participants[o] for o in self.participants if o != p.id]

    async def _join(self, message: dict[str, Any]) -> None:
        worker, limits = self.worker, self.limits
        pid = message["participant"]
        old = worker.participants.get(pid)
        if old is not None and old.meeting == self.id:
            await self._remove(old, rejoining=True)
        elif old is not None:  # still leaving its other meeting on this worker
            raise CommandError("busy", "Still leaving the previous meeting; try again in a moment.")
        elif len(self.participants) >= limits.max_participants_per_meeting:
            worker.forget_route(pid, self.id)
            raise CommandError(
                "meeting-full",
                f"This meeting is full ({limits.max_participants_per_meeting} people). Try again later.",
            )
        elif worker.full:
            worker.forget_route(pid, self.id)
            raise CommandError(
                "server-full",
                "The media server is full. You can still chat here; try joining again in a few minutes.",
            )
        p = Participant(
            id=pid,
            meeting=self.id,
            room=message["room"],
            name=message["name"],
            reply_channel=message["reply_channel"],
            captions=bool(message.get("captions")),
            meeting_started_at=float(message.get("meeting_started_at") or 0.0),
            subscribe_pc=new_pc(worker.ice_servers),
            guard=InboundGuard(limits),
            rtx_budget=TokenBucket(limits.rtx_packets_per_second, limits.rtx_packets_per_second),
            offer_budget=TokenBucket(limits.offers_per_second, limits.offer_burst),
            adapt=limits.adapt,
            on_link=self._link_changed,
        )
        worker.participants[pid] = p
        worker.watch_pc(p, p.subscribe_pc)
        self.participants.add(pid)
        logger.info("Participant joined the meeting on this worker (%s here)", len(self.participants))
        if p.captions:
            self.captions = True
            if worker.audio_tap_factory is not None:
                try:
                    p.tap = worker.audio_tap_factory(
                        AudioTapContext(
                            meeting=p.meeting,
                            room=p.room,
                            participant=p.id,
                            speaker=p.name,
                            meeting_started_at=p.meeting_started_at,
                            send=worker.send,
                            source=worker.worker_id,
                        )
                    )
                except Exception:
                    logger.exception("audio tap for participant %s failed", pid)
        # Slots for the others who publish; theirs for this one come with its first publish offer
        # (a receive-only client that never offers costs the others nothing).
        for other in self._others(p):
            if other.published:
                p.add_publisher_slots(other, limits)
        await self._negotiate(p)

    async def _negotiate(self, p: Participant) -> None:
        """Send a subscribe offer unless one is out (then one more goes after its answer)."""
        if not p.pending or p.negotiating or not p.slots:
            return
        pc = p.subscribe_pc
        if pc.signalingState == "closed":
            return
        p.pending = False
        p.negotiating = True
        try:
            await p.unpark_slots()
            await pc.setLocalDescription(await pc.createOffer())
        except Exception:
            p.negotiating = False
            raise
        reply = protocol.sfu_subscribe_offer(
            participant=p.id,
            sdp=announce(pc.localDescription.sdp, self.worker.announced_ip),
            tracks=p.tracks(),
        )
        await self.worker.reply(p.reply_channel, dict(reply))

    async def _publish_offer(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        limits = self.limits
        sdp, parsed = parse_sdp(message, "offer", limits)
        kinds = [m.kind for m in parsed.media]
        if kinds.count("audio") > 1 or kinds.count("video") > 2 or len(kinds) > 4:
            raise CommandError(
                "bad-sdp", "The offer may carry one audio and two video sections (camera, screen) at most."
            )
        if not p.offer_budget.take():  # what costs is negotiating; refusing bad SDP is cheap
            raise CommandError("too-fast", "Too many media changes at once; wait a moment and try again.")
        if not p.published:
            publishers = sum(1 for o in self._others(p) if o.published)
            if publishers >= limits.max_publishers_per_meeting:
                raise CommandError(
                    "publishers-full",
                    f"{publishers} people already send audio or video in this meeting, the most it allows. "
                    "You can still see and hear everyone.",
                )
        if p.publish_pc is None:
            # audio, camera, screen in the browser's order: aiortc matches offered sections to
            # these by kind and order, so the codec choice and the taps are in place beforehand.
            pc = new_pc(self.worker.ice_servers)
            for kind in KINDS:
                transceiver = pc.addTransceiver("audio" if kind == "audio" else "video", direction="recvonly")
                transceiver.setCodecPreferences(codecs(kind))
                p.tap_receiver(kind, transceiver.receiver, limits, self._others(p))
            p.publish_pc = pc
            self.worker.watch_pc(p, pc)
        pc = p.publish_pc
        offer, kept = description(
            sdp, "offer", limits, limits.max_remote_candidates - p.candidates["publish"]
        )
        try:
            await pc.setRemoteDescription(offer)
            p.guard.install(pc)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            if not p.published:  # start afresh with the next offer
                for source in p.sources.values():
                    source.close()
                p.sources.clear()
                p.publish_pc = None
                self.worker.close_later(p.id, [pc])
            raise CommandError("bad-sdp", f"The offer was refused: {exc or type(exc).__name__}.") from exc
        p.candidates["publish"] += kept
        reply = protocol.sfu_publish_answer(
            participant=p.id, sdp=announce(pc.localDescription.sdp, self.worker.announced_ip)
        )
        await self.worker.reply(p.reply_channel, dict(reply))
        if not p.published:
            p.published = True
            others = self._others(p)
            for other in others:
                other.add_publisher_slots(p, limits)
            for other in others:
                await self._negotiate(other)

    async def _subscribe_answer(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        sdp, _ = parse_sdp(message, "answer", self.limits)
        if not p.negotiating:
            raise CommandError("unexpected-answer", "There is no subscribe offer waiting for an answer.")
        room = self.limits.max_remote_candidates - p.candidates["subscribe"]
        answer, kept = description(sdp, "answer", self.limits, room)
        try:
            await p.subscribe_pc.setRemoteDescription(answer)
            p.guard.install(p.subscribe_pc)
        except Exception as exc:
            raise CommandError("bad-sdp", f"The answer was refused: {exc or type(exc).__name__}.") from exc
        p.candidates["subscribe"] += kept
        p.negotiating = False
        await self._negotiate(p)

    async def _ice(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        which = message.get("pc")
        if which not in ("publish", "subscribe"):
            raise CommandError("invalid", "sfu.ice needs pc 'publish' or 'subscribe'.")
        pc = p.publish_pc if which == "publish" else p.subscribe_pc
        if pc is None:
            raise CommandError("invalid", "ICE candidate for a connection that has no offer yet.")
        cand = message.get("candidate")
        try:
            if cand is None or (isinstance(cand, dict) and not cand.get("candidate")):
                await pc.addIceCandidate(None)  # end of candidates
                return
            if not isinstance(cand, dict) or not isinstance(cand.get("candidate"), str):
                raise CommandError(
                    "invalid", "The ICE candidate must be an object with a 'candidate' string."
                )
            text = cand["candidate"]
            try:
                candidate = candidate_from_sdp(
                    text.split(":", 1)[1] if text.startswith("candidate:") else text
                )
            except Exception as exc:
                raise CommandError("bad-candidate", f"The ICE candidate could not be parsed: {exc}.") from exc
            # Refused candidates are dropped quietly: browsers send mDNS and private ones as a
            # matter of course, and connectivity checks still find the way (peer-reflexive).
            if p.candidates[which] >= self.limits.max_remote_candidates:
                self.worker.stats["candidates_dropped"] += 1
                return
            refusal = candidate_refusal(candidate.ip, allow_private=self.limits.allow_private_candidates)
            if refusal is not None:
                self.worker.stats[f"candidates_{refusal}"] += 1
                return
            p.candidates[which] += 1
            # Everything is bundled on the first transport (max-bundle), which aiortc only feeds
            # candidates addressed to the first section.
            first = next((t for t in pc.getTransceivers() if t.mid is not None), None)
            candidate.sdpMid = first.mid if first is not None else cand.get("sdpMid")
            candidate.sdpMLineIndex = 0
            await pc.addIceCandidate(candidate)
        except ValueError:  # after end-of-candidates, or a closed connection: nothing to do
            logger.debug("ICE candidate ignored for participant %s", p.id, exc_info=True)

    def _check_sender(self, message: dict[str, Any]) -> None:
        """Requests naming another participant act only within the sender's own meeting."""
        if "from_participant" in message:
            self._get(message, "from_participant")

    async def _set_muted(self, message: dict[str, Any]) -> None:
        self._check_sender(message)
        p = self._get(message)
        kind = message.get("kind")
        muted = message.get("muted")
        if kind not in KINDS or not isinstance(muted, bool):
            raise CommandError("invalid", "sfu.set_muted needs kind audio/video/screen and muted true/false.")
        p.muted[kind] = muted
        source = p.sources.get(kind)
        if source is not None:
            source.set_muted(muted)
            if not muted:
                await source.request_keyframe()
        if kind == "audio" and p.tap is not None:
            p.tap.set_muted(muted)

    async def _keyframe(self, message: dict[str, Any]) -> None:
        self._check_sender(message)
        p = self._get(message)
        for kind in ("video", "screen"):
            source = p.sources.get(kind)
            if source is not None:
                await source.request_keyframe()

    async def _set_visible(self, message: dict[str, Any]) -> None:
        p, visible = self._get(message), message.get("visible")
        if not isinstance(visible, list) or len(visible) > self.limits.max_participants_per_meeting:
            raise CommandError("invalid", "sfu.set_visible needs 'visible': a list of participant ids.")
        await p.set_visible(frozenset(v for v in visible if is_int(v)))

    async def _link_changed(self, p: Participant, level: int) -> None:
        """The subscriber's link paused its video, or carries it again: its page says so."""
        logger.info("Participant's link: %s video layers", level)
        reply = protocol.sfu_link(participant=p.id, paused=level == 0, layers=level)
        await self.worker.reply(p.reply_channel, dict(reply))

    async def _stats(self, message: dict[str, Any]) -> None:
        self._get(message)
        await self.worker.reply(message["reply_channel"], dict(report(self.worker, message)))

    async def _leave(self, message: dict[str, Any]) -> None:
        await self._remove(self._get(message))

    async def _connection_lost(self, message: dict[str, Any]) -> None:
        """The browser's media connection died and it did not re-join: tell its consumer, which
        records the leave, and drop it."""
        p = self.worker.participants.get(message["participant"])
        if p is None or p is not message["peer"]:
            return  # re-joined meanwhile
        logger.info("participant %s: media connection lost, dropping it", p.id)
        lost = protocol.sfu_closed(participant=p.id, reason="connection-lost", worker=self.worker.worker_id)
        await self.worker.reply(p.reply_channel, dict(lost))
        await self._remove(p)

    # ------------------------------------------------------------- teardown

    def _forget(self, p: Participant) -> list[Participant]:
        """Forget p at once; its peer connections and tap close in the worker's closer tasks."""
        worker = self.worker
        if worker.participants.get(p.id) is p:
            metrics.retire(worker, p)  # its counts stay in the worker's totals
            logger.info("Participant left the meeting on this worker")
        worker.participants.pop(p.id, None)
        worker.forget_route(p.id, self.id)
        self.participants.discard(p.id)
        p.stop_media()
        others = self._others(p)
        for other in others:
            other.free_slots_of(p.id)
        worker.close_later(p.id, p.pcs())
        if p.tap is not None:
            self.tap_closers.append(worker.close_tap_later(self, p.tap))
            p.tap = None
        return others

    async def _remove(self, p: Participant, *, rejoining: bool = False) -> None:
        others = self._forget(p)
        if rejoining:
            # Keep the route the rejoin set, before any await: the participant's next commands
            # (its new publish offer) arrive while the others renegotiate, and must queue here.
            self.worker.routes[p.id] = self.id
        for other in others:
            try:  # one peer that went away (closed its tab) must not stop the others
                await self._negotiate(other)
            except Exception:
                logger.warning("renegotiating participant %s failed", other.id, exc_info=True)

    def remove_all(self) -> list[Participant]:
        """Worker shutdown: drop everyone without renegotiating (the runner has stopped)."""
        gone = [self.worker.participants[pid] for pid in list(self.participants)]
        for p in gone:
            self._forget(p)
        return gone
