"""The SFU worker: one asyncio object that owns every peer connection of the meetings placed on it.

Each participant has two peer connections: a publish PC (the browser offers audio, camera and
screen, sendonly) and a subscribe PC (the SFU offers one audio+video+screen triple of sendonly
transceivers per other participant). Media is forwarded at the RTP level (sfu.aiortc_hooks):
no decoding, no re-encoding.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import SessionDescription, candidate_from_sdp

from conference import protocol
from sfu import aiortc_hooks
from sfu.taps import AudioTap, AudioTapContext, AudioTapFactory, Send

logger = logging.getLogger(__name__)

KINDS = ("audio", "video", "screen")
MAX_SDP_BYTES = 200_000
PC_CLOSE_TIMEOUT = 5.0
CONNECTION_LOST_GRACE = 2.0  # a page's media restart re-joins within this after closing its PCs


class CommandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Slot:
    """One sendonly transceiver of a subscribe PC and what it forwards."""

    kind: str
    transceiver: RTCRtpTransceiver
    stream: aiortc_hooks.SubscriberStream
    track: aiortc_hooks.SilentTrack
    publisher: int | None = None


@dataclass
class Participant:
    id: int
    meeting: int
    room: int
    name: str
    reply_channel: str
    captions: bool
    meeting_started_at: float
    subscribe_pc: RTCPeerConnection
    publish_pc: RTCPeerConnection | None = None
    sources: dict[str, aiortc_hooks.PublisherTrack] = field(default_factory=dict)
    muted: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(KINDS, False))
    slots: list[Slot] = field(default_factory=list)
    published: bool = False  # a publish offer was answered
    negotiating: bool = False  # an offer is out, waiting for the answer
    pending: bool = False  # more changes since that offer
    tap: AudioTap | None = None


@dataclass
class Meeting:
    id: int
    participants: set[int] = field(default_factory=set)
    captions: bool = False
    finals: int = 0


class SfuWorker:
    def __init__(
        self,
        send: Send,
        *,
        ice_servers: list[dict[str, Any]] | None = None,
        host_addresses: list[str] | None = None,
        announced_ip: str = "",
        pli_min_interval: float = 0.33,
        audio_tap_factory: AudioTapFactory | None = None,
        worker_id: str = "",
    ) -> None:
        self.send = send
        self.worker_id = worker_id  # named in sfu.closed and as the source of caption requests
        self.ice_servers = [
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in (ice_servers or [])
        ]
        self.announced_ip = announced_ip
        self.pli_min_interval = pli_min_interval
        self.audio_tap_factory = audio_tap_factory
        self.participants: dict[int, Participant] = {}
        self.meetings: dict[int, Meeting] = {}
        self._lock = asyncio.Lock()
        self._closed = False
        self._lost: set[asyncio.Task[None]] = set()  # _connection_lost runs, stopped by close()
        if host_addresses:
            aiortc_hooks.set_host_addresses(host_addresses)

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
            pli_min_interval=settings.SFU_PLI_MIN_INTERVAL,
            audio_tap_factory=audio_tap_factory,
            worker_id=worker_id,
        )

    # ------------------------------------------------------------------ state

    @property
    def load(self) -> int:
        return len(self.participants)

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

    # --------------------------------------------------------------- commands

    async def handle(self, message: dict[str, Any]) -> None:
        """Run one command; bad input becomes an ``sfu.error`` reply, never an exception."""
        if not isinstance(message, dict):
            logger.warning("SFU command is not a dict: %r", message)
            return
        kind = message.get("type")
        participant = message.get("participant")
        handler = {
            "sfu.join": self._join,
            "sfu.publish_offer": self._publish_offer,
            "sfu.subscribe_answer": self._subscribe_answer,
            "sfu.ice": self._ice,
            "sfu.set_muted": self._set_muted,
            "sfu.keyframe": self._keyframe,
            "sfu.leave": self._leave,
        }.get(kind)  # type: ignore[arg-type]
        try:
            async with self._lock:
                if self._closed:
                    raise CommandError("closed", "The media server is shutting down.")
                if handler is None:
                    raise CommandError("unknown-type", f"Unknown SFU command type {kind!r}.")
                if not isinstance(participant, int) or isinstance(participant, bool):
                    raise CommandError("invalid", "The command needs an integer 'participant'.")
                await handler(message)
        except CommandError as exc:
            await self._error(message, exc.code, exc.message)
        except Exception:
            logger.exception("SFU command %s failed", kind)
            await self._error(message, "internal", "The media server could not handle this command.")

    async def _error(self, message: dict[str, Any], code: str, text: str) -> None:
        participant = message.get("participant") if isinstance(message, dict) else None
        channel = message.get("reply_channel") if isinstance(message, dict) else None
        p = self.participants.get(participant) if isinstance(participant, int) else None
        if p is not None:
            channel = p.reply_channel
        if not isinstance(channel, str) or not channel:
            logger.warning("SFU error without reply channel: %s %s", code, text)
            return
        reply = protocol.sfu_error(
            participant=participant if isinstance(participant, int) else 0, code=code, message=text
        )
        await self._send(channel, dict(reply))

    async def _send(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await self.send(channel, message)
        except Exception:
            logger.exception("SFU could not send %s to %s", message.get("type"), channel)

    def _get(self, message: dict[str, Any]) -> Participant:
        p = self.participants.get(message["participant"])
        if p is None:
            raise CommandError("unknown-participant", f"Participant {message['participant']} has not joined.")
        return p

    def _new_pc(self) -> RTCPeerConnection:
        return RTCPeerConnection(
            RTCConfiguration(iceServers=self.ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )

    async def _join(self, message: dict[str, Any]) -> None:
        fields = {
            "meeting": int,
            "room": int,
            "participant": int,
            "reply_channel": str,
            "name": str,
        }
        for key, typ in fields.items():
            if not isinstance(message.get(key), typ):
                raise CommandError("invalid", f"sfu.join needs {key!r} ({typ.__name__}).")
        pid = message["participant"]
        if pid in self.participants:
            await self._remove(self.participants[pid])
        meeting = self.meetings.setdefault(message["meeting"], Meeting(message["meeting"]))
        p = Participant(
            id=pid,
            meeting=message["meeting"],
            room=message["room"],
            name=message["name"],
            reply_channel=message["reply_channel"],
            captions=bool(message.get("captions")),
            meeting_started_at=float(message.get("meeting_started_at") or 0.0),
            subscribe_pc=self._new_pc(),
        )
        self.participants[pid] = p
        p.subscribe_pc.on("connectionstatechange", lambda: self._on_pc_state(p, p.subscribe_pc))
        meeting.participants.add(pid)
        if p.captions:
            meeting.captions = True
            if self.audio_tap_factory is not None:
                try:
                    p.tap = self.audio_tap_factory(
                        AudioTapContext(
                            meeting=p.meeting,
                            room=p.room,
                            participant=p.id,
                            speaker=p.name,
                            meeting_started_at=p.meeting_started_at,
                            send=self.send,
                            source=self.worker_id,
                        )
                    )
                except Exception:
                    logger.exception("audio tap for participant %s failed", pid)
        # Slots for the others who publish; theirs for this one come with its first publish offer
        # (a receive-only client that never offers costs the others nothing).
        for o in meeting.participants:
            other = self.participants[o]
            if o != pid and other.published:
                self._add_publisher_slots(p, other)
        await self._negotiate(p)

    def _add_publisher_slots(self, subscriber: Participant, publisher: Participant) -> None:
        """Give subscriber an audio/video/screen triple for publisher, re-using free slots first."""
        for kind in KINDS:
            slot = next((s for s in subscriber.slots if s.publisher is None and s.kind == kind), None)
            if slot is None:
                track = aiortc_hooks.SilentTrack("audio" if kind == "audio" else "video")
                transceiver = subscriber.subscribe_pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(_codecs(kind))
                stream = aiortc_hooks.SubscriberStream(transceiver.sender, stream_id=f"p{publisher.id}")
                slot = Slot(kind=kind, transceiver=transceiver, stream=stream, track=track)
                subscriber.slots.append(slot)
            else:
                slot.transceiver.direction = "sendonly"
                slot.stream.set_stream_id(f"p{publisher.id}")
            slot.publisher = publisher.id
            source = publisher.sources.get(kind)
            if source is not None:
                slot.stream.attach(source)
        subscriber.pending = True

    async def _negotiate(self, p: Participant) -> None:
        """Send a subscribe offer unless one is out (then one more goes after its answer)."""
        if not p.pending:
            return
        if p.negotiating or not p.slots:
            return
        if p.subscribe_pc is None or p.subscribe_pc.signalingState == "closed":
            return
        p.pending = False
        p.negotiating = True
        pc = p.subscribe_pc
        try:
            await pc.setLocalDescription(await pc.createOffer())
        except Exception:
            p.negotiating = False
            raise
        tracks: dict[str, protocol.TrackInfo] = {
            s.transceiver.mid: {"participant": s.publisher, "kind": s.kind}  # type: ignore[typeddict-item]
            for s in p.slots
            if s.publisher is not None and s.transceiver.mid is not None
        }
        reply = protocol.sfu_subscribe_offer(
            participant=p.id, sdp=self._announce(pc.localDescription.sdp), tracks=tracks
        )
        await self._send(p.reply_channel, dict(reply))

    def _parse_sdp(self, message: dict[str, Any], expected: str) -> RTCSessionDescription:
        sdp = message.get("sdp")
        if not isinstance(sdp, str) or not sdp.strip():
            raise CommandError("bad-sdp", f"The {expected} is missing its SDP text.")
        if len(sdp) > MAX_SDP_BYTES:
            raise CommandError("bad-sdp", f"The {expected} SDP is too large.")
        if not sdp.lstrip().startswith("v=0"):
            raise CommandError("bad-sdp", f"The {expected} is not SDP (it must start with 'v=0').")
        try:
            parsed = SessionDescription.parse(sdp)
        except Exception as exc:
            raise CommandError("bad-sdp", f"The {expected} SDP could not be parsed: {exc}.") from exc
        if not parsed.media:
            raise CommandError("bad-sdp", f"The {expected} SDP has no media sections.")
        for media in parsed.media:
            if media.kind in ("audio", "video") and (not media.ice.usernameFragment or not media.dtls):
                raise CommandError(
                    "bad-sdp", f"The {expected} SDP lacks ICE credentials or a DTLS fingerprint."
                )
        return RTCSessionDescription(sdp=sdp, type=expected)

    async def _publish_offer(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        offer = self._parse_sdp(message, "offer")
        kinds = [m.kind for m in SessionDescription.parse(offer.sdp).media if m.kind in ("audio", "video")]
        if kinds.count("audio") > 1 or kinds.count("video") > 2:
            raise CommandError(
                "bad-sdp", "The offer may carry one audio and two video sections (camera, screen) at most."
            )
        if p.publish_pc is None:
            # audio, camera, screen in the browser's order: aiortc matches offered sections to
            # these by kind and order, so the codec choice and the taps are in place beforehand.
            pc = self._new_pc()
            for kind in KINDS:
                transceiver = pc.addTransceiver("audio" if kind == "audio" else "video", direction="recvonly")
                transceiver.setCodecPreferences(_codecs(kind))
                self._tap_receiver(p, kind, transceiver.receiver)
            p.publish_pc = pc
            pc.on("connectionstatechange", lambda: self._on_pc_state(p, pc))
        pc = p.publish_pc
        try:
            await pc.setRemoteDescription(offer)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            if not p.published:  # start afresh with the next offer
                for source in p.sources.values():
                    source.close()
                p.sources.clear()
                p.publish_pc = None
                await pc.close()
            raise CommandError("bad-sdp", f"The offer was refused: {exc or type(exc).__name__}.") from exc
        reply = protocol.sfu_publish_answer(participant=p.id, sdp=self._announce(pc.localDescription.sdp))
        await self._send(p.reply_channel, dict(reply))
        if not p.published:
            p.published = True
            meeting = self.meetings[p.meeting]
            others = [self.participants[o] for o in meeting.participants if o != p.id]
            for other in others:
                self._add_publisher_slots(other, p)
            for other in others:
                await self._negotiate(other)

    def _tap_receiver(self, p: Participant, kind: str, receiver: RTCRtpReceiver) -> None:
        on_audio = None
        if kind == "audio" and p.tap is not None:
            on_audio = p.tap.feed
        source = aiortc_hooks.PublisherTrack(
            receiver, kind, pli_min_interval=self.pli_min_interval, on_audio=on_audio
        )
        source.muted = p.muted[kind]
        p.sources[kind] = source
        for other in self.participants.values():
            for slot in other.slots:
                if slot.publisher == p.id and slot.kind == kind:
                    slot.stream.attach(source)

    async def _subscribe_answer(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        answer = self._parse_sdp(message, "answer")
        if not p.negotiating:
            raise CommandError("unexpected-answer", "There is no subscribe offer waiting for an answer.")
        try:
            await p.subscribe_pc.setRemoteDescription(answer)
        except Exception as exc:
            raise CommandError("bad-sdp", f"The answer was refused: {exc or type(exc).__name__}.") from exc
        p.negotiating = False
        await self._negotiate(p)

    async def _ice(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        which = message.get("pc")
        pc = p.publish_pc if which == "publish" else p.subscribe_pc if which == "subscribe" else None
        if which not in ("publish", "subscribe"):
            raise CommandError("invalid", "sfu.ice needs pc 'publish' or 'subscribe'.")
        if pc is None:
            raise CommandError("invalid", "ICE candidate for a connection that has no offer yet.")
        cand = message.get("candidate")
        if cand is None or (isinstance(cand, dict) and not cand.get("candidate")):
            await pc.addIceCandidate(None)  # end of candidates
            return
        if not isinstance(cand, dict) or not isinstance(cand.get("candidate"), str):
            raise CommandError("invalid", "The ICE candidate must be an object with a 'candidate' string.")
        text = cand["candidate"]
        try:
            candidate = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
        except Exception as exc:
            raise CommandError("bad-candidate", f"The ICE candidate could not be parsed: {exc}.") from exc
        # Everything is bundled on the first transport (max-bundle), which aiortc only feeds
        # candidates addressed to the first section.
        first = next((t for t in pc.getTransceivers() if t.mid is not None), None)
        candidate.sdpMid = first.mid if first is not None else cand.get("sdpMid")
        candidate.sdpMLineIndex = 0
        await pc.addIceCandidate(candidate)

    async def _set_muted(self, message: dict[str, Any]) -> None:
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
        p = self._get(message)
        for kind in ("video", "screen"):
            source = p.sources.get(kind)
            if source is not None:
                await source.request_keyframe()

    async def _leave(self, message: dict[str, Any]) -> None:
        p = self._get(message)
        await self._remove(p)

    # ---------------------------------------------------------------- teardown

    async def _remove(self, p: Participant, *, renegotiate: bool = True) -> None:
        self.participants.pop(p.id, None)
        meeting = self.meetings.get(p.meeting)
        for source in p.sources.values():
            source.close()
        for slot in p.slots:
            slot.stream.detach()
        others = [self.participants[o] for o in (meeting.participants if meeting else ()) if o != p.id]
        for other in others:
            changed = False
            for slot in other.slots:
                if slot.publisher == p.id:
                    slot.stream.detach()
                    slot.publisher = None
                    slot.transceiver.direction = "inactive"
                    changed = True
            if changed:
                other.pending = True
        await self._close_pcs(p)
        if meeting is not None:
            meeting.participants.discard(p.id)
            if p.tap is not None:
                meeting.finals += await self._close_tap(p.tap)
                p.tap = None
            if not meeting.participants:
                await self._end_meeting(meeting)
        if renegotiate:
            for other in others:
                if other.id not in self.participants:
                    continue
                try:  # one peer that went away (closed its tab) must not stop the others
                    await self._negotiate(other)
                except Exception:
                    logger.warning("renegotiating participant %s failed", other.id, exc_info=True)

    async def _close_pcs(self, p: Participant) -> None:
        for pc in (p.publish_pc, p.subscribe_pc):
            if pc is None:
                continue
            try:
                await asyncio.wait_for(pc.close(), PC_CLOSE_TIMEOUT)
            except Exception:
                logger.warning("closing a peer connection of participant %s failed", p.id, exc_info=True)

    async def _close_tap(self, tap: AudioTap) -> int:
        try:
            return int(await asyncio.wait_for(tap.close(), 30))
        except Exception:
            logger.exception("closing an audio tap failed")
            return 0

    async def _end_meeting(self, meeting: Meeting) -> None:
        self.meetings.pop(meeting.id, None)
        if meeting.captions:
            flush = protocol.transcribe_flush(
                meeting=meeting.id, finals=meeting.finals, source=self.worker_id
            )
            await self._send(protocol.TRANSCRIBE_CHANNEL, dict(flush))

    async def close(self, reason: str = "server-shutdown") -> None:
        """Close every peer connection, flush caption taps, tell every participant."""
        lost = list(self._lost)
        for task in lost:
            task.cancel()
        await asyncio.gather(*lost, return_exceptions=True)
        async with self._lock:
            self._closed = True
            for p in list(self.participants.values()):
                closed = protocol.sfu_closed(participant=p.id, reason=reason, worker=self.worker_id)
                await self._send(p.reply_channel, dict(closed))
            for p in list(self.participants.values()):
                await self._remove(p, renegotiate=False)

    def _on_pc_state(self, p: Participant, pc: RTCPeerConnection) -> None:
        """A peer connection of p failed or closed while p is still here. Our own closes come
        after p is removed; so it is the browser's end: its ICE consent expired (aiortc then
        closes the connection itself: the browser vanished without closing its socket), or the
        page closed it for a media restart, whose new sfu.join follows within moments."""
        if pc.connectionState in ("failed", "closed") and self.participants.get(p.id) is p:
            if not self._closed:
                task = asyncio.get_running_loop().create_task(self._connection_lost(p))
                self._lost.add(task)
                task.add_done_callback(self._lost.discard)

    async def _connection_lost(self, p: Participant) -> None:
        """Unless p re-joined meanwhile (a media restart), drop it and tell its consumer, which
        records the leave."""
        await asyncio.sleep(CONNECTION_LOST_GRACE)
        async with self._lock:
            if self.participants.get(p.id) is not p or self._closed:
                return  # left or re-joined meanwhile
            logger.info("participant %s: media connection lost, dropping it", p.id)
            lost = protocol.sfu_closed(participant=p.id, reason="connection-lost", worker=self.worker_id)
            await self._send(p.reply_channel, dict(lost))
            await self._remove(p)

    # ------------------------------------------------------------------ SDP

    def _announce(self, sdp: str) -> str:
        """Replace host candidate addresses with the announced public IP (SFU behind NAT)."""
        if not self.announced_ip:
            return sdp
        ip = self.announced_ip

        def candidate(m: re.Match[str]) -> str:
            parts = m.group(0).split(" ")
            if len(parts) > 7 and parts[7] == "host":
                parts[4] = ip
            return " ".join(parts)

        sdp = re.sub(r"a=candidate:[^\r\n]*", candidate, sdp)
        return re.sub(r"c=IN IP4 [^\r\n]*", f"c=IN IP4 {ip}", sdp)


def _codecs(kind: str) -> list[Any]:
    """VP8 (+RTX) for video, Opus for audio: forwarded payloads must mean the same on both sides."""
    caps = RTCRtpReceiver.getCapabilities("audio" if kind == "audio" else "video").codecs
    if kind == "audio":
        return [c for c in caps if c.mimeType.lower() == "audio/opus"]
    return [c for c in caps if c.mimeType.lower() in ("video/vp8", "video/rtx")]
