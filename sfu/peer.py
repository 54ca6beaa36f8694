"""One participant on an SFU worker: its two peer connections, its slots, its budgets.

The subscribe PC holds one audio+video+screen triple of sendonly transceivers ("slots") per other
publisher. A publisher's slots are freed when it leaves and reused for the next publisher, so the
subscribe SDP stays as large as the most publishers present at once, never one triple per
publisher who ever joined. A free slot is parked: its sender's RTCP task stops.

Link adaptation: every slot's receiver reports feed the participant's LinkAdapter (sfu.adapt),
whose level sets the VP8 temporal-layer target of its video slots, or pauses them (level 0).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpTransceiver,
)
from aiortc.rtcconfiguration import RTCBundlePolicy

from conference import protocol
from sfu import aiortc_hooks
from sfu.adapt import PAUSED, LinkAdapter
from sfu.aiortc_hooks_guard import InboundGuard
from sfu.guards import TokenBucket, codecs
from sfu.limits import Limits
from sfu.rtp import TemporalFilter
from sfu.taps import AudioTap

KINDS = ("audio", "video", "screen")


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
    guard: InboundGuard
    rtx_budget: TokenBucket
    offer_budget: TokenBucket
    publish_pc: RTCPeerConnection | None = None
    sources: dict[str, aiortc_hooks.PublisherTrack] = field(default_factory=dict)
    muted: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(KINDS, False))
    slots: list[Slot] = field(default_factory=list)
    candidates: dict[str, int] = field(default_factory=lambda: {"publish": 0, "subscribe": 0})
    published: bool = False  # a publish offer was answered
    negotiating: bool = False  # an offer is out, waiting for the answer
    pending: bool = False  # more changes since that offer
    tap: AudioTap | None = None
    visible: frozenset[int] | None = None  # publishers whose video the page shows; None: all
    decided: frozenset[int] = frozenset()  # publishers the page knew of when it said so
    adapt: bool = True  # link adaptation (SFU_ADAPT)
    link: LinkAdapter = field(default_factory=LinkAdapter)
    on_link: Callable[[Participant, int], Awaitable[None]] | None = None  # level changed: tell the page

    def shows(self, publisher: int, kind: str) -> bool:
        # A publisher newer than the page's last list is forwarded until the next list (which
        # follows its tile's appearance): its first frame must not wait for a round trip.
        if kind == "audio" or self.visible is None:
            return True
        return publisher in self.visible or publisher not in self.decided

    async def set_visible(self, visible: frozenset[int]) -> None:
        """Forward video (camera, screen) only of the publishers the page shows; audio always."""
        self.visible = visible
        self.decided = visible | {s.publisher for s in self.slots if s.publisher is not None}
        for slot in self.slots:
            if slot.publisher is None or slot.kind == "audio":
                continue
            if self.shows(slot.publisher, slot.kind):
                await slot.stream.resume()
            else:
                slot.stream.pause()

    async def link_report(self, fraction_lost: float, jitter: int, *, video: bool = True) -> None:
        """One receiver report block from this subscriber (any of its streams: one link)."""
        before = self.link.level
        level = self.link.report(time.monotonic(), fraction_lost, jitter, video=video)
        if level is None:
            return
        for slot in self.slots:
            await self._apply_level(slot, level)
        if self.on_link is not None and (level == PAUSED) != (before == PAUSED):
            await self.on_link(self, level)

    @staticmethod
    async def _apply_level(slot: Slot, level: int) -> None:
        stream = slot.stream
        if slot.kind == "audio" or stream.temporal is None:
            return
        stream.temporal.target = max(level - 1, 0)
        await stream.set_link_paused(level == PAUSED)

    def _wire(self, slot: Slot) -> None:
        """A new slot reports on the link; video slots forward temporal layers by the level."""
        stream = slot.stream
        if slot.kind == "audio":
            stream.on_report = functools.partial(self.link_report, video=False)
        else:
            stream.on_report = self.link_report
        stream.on_remb = self.link.remb
        if slot.kind != "audio":
            stream.temporal = TemporalFilter()
            level = self.link.level
            stream.temporal.target = max(level - 1, 0)
            stream.link_paused = level == PAUSED

    def streams_forwarded(self) -> int:
        """Slots forwarding media to this subscriber now: attached to a publisher's stream that
        has sent something, not paused (a hidden tile, or a link that cannot carry it), not muted.
        What a worker's capacity counts."""
        count = 0
        for slot in self.slots:
            source = slot.stream.source
            if (
                source is not None
                and not slot.stream.paused
                and not slot.stream.link_paused
                and not source.muted
                and source.media_ssrc is not None
            ):
                count += 1
        return count

    def add_publisher_slots(self, publisher: Participant, limits: Limits) -> None:
        """An audio/video/screen triple for publisher, re-using free slots first."""
        for kind in KINDS:
            slot = next((s for s in self.slots if s.publisher is None and s.kind == kind), None)
            if slot is None:
                track = aiortc_hooks.SilentTrack("audio" if kind == "audio" else "video")
                transceiver = self.subscribe_pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(codecs(kind))
                stream = aiortc_hooks.SubscriberStream(
                    transceiver.sender,
                    stream_id=f"p{publisher.id}",
                    rtx_budget=self.rtx_budget,
                    max_nacks_per_packet=limits.max_nacks_per_packet,
                    rtx_min_interval=limits.rtx_min_interval,
                )
                slot = Slot(kind=kind, transceiver=transceiver, stream=stream, track=track)
                if self.adapt:
                    self._wire(slot)
                self.slots.append(slot)
            else:
                slot.transceiver.direction = "sendonly"
                slot.stream.set_stream_id(f"p{publisher.id}")
            slot.publisher = publisher.id
            source = publisher.sources.get(kind)
            if source is not None:
                slot.stream.attach(source, paused=not self.shows(publisher.id, kind))
        self.pending = True

    async def unpark_slots(self) -> None:
        """Restart RTCP of reused slots (after the offer that makes them sendonly again)."""
        for slot in self.slots:
            if slot.publisher is not None and slot.stream.parked:
                await slot.stream.unpark()

    def free_slots_of(self, publisher: int) -> bool:
        changed = False
        for slot in self.slots:
            if slot.publisher == publisher:
                slot.stream.park()
                slot.publisher = None
                slot.transceiver.direction = "inactive"
                changed = True
        if changed:
            self.pending = True
        return changed

    def tracks(self) -> dict[str, protocol.TrackInfo]:
        return {
            s.transceiver.mid: {"participant": s.publisher, "kind": s.kind}  # type: ignore[typeddict-item]
            for s in self.slots
            if s.publisher is not None and s.transceiver.mid is not None
        }

    def tap_receiver(
        self, kind: str, receiver: RTCRtpReceiver, limits: Limits, others: list[Participant]
    ) -> None:
        on_audio = self.tap.feed if kind == "audio" and self.tap is not None else None
        source = aiortc_hooks.PublisherTrack(
            receiver,
            kind,
            pli_min_interval=limits.pli_min_interval,
            on_audio=on_audio,
            seq_jump_window=limits.seq_jump_window,
        )
        source.muted = self.muted[kind]
        self.sources[kind] = source
        for other in others:
            for slot in other.slots:
                if slot.publisher == self.id and slot.kind == kind:
                    slot.stream.attach(source, paused=not other.shows(self.id, kind))

    def stop_media(self) -> None:
        """Stop forwarding to and from this participant (the PCs close later, off the command path)."""
        for source in self.sources.values():
            source.close()
        for slot in self.slots:
            slot.stream.detach()
        self.guard.release()

    def pcs(self) -> list[RTCPeerConnection]:
        return [pc for pc in (self.publish_pc, self.subscribe_pc) if pc is not None]


def new_pc(ice_servers: list[dict[str, Any]]) -> RTCPeerConnection:
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in ice_servers
    ]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
