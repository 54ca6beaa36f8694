"""The link-adaptation parts of a SubscriberStream (aiortc 1.16.0 internals; see aiortc_hooks).

Kept apart from the forwarding path so each stays small: ``SubscriberStream`` inherits these.

- ``_link_feedback``: the subscriber's RTCP receiver report blocks and REMB about this sender go
  to ``on_report`` / ``on_remb`` (its participant's sfu.adapt.LinkAdapter); the first report
  after a resume is skipped (``_stale``).
- ``set_link_paused``: video off for a link that cannot carry even TL0, independent of the
  visibility pause.
- ``_layer_filter``: with a ``temporal`` filter (sfu.rtp.TemporalFilter), drop the frames above
  its target without using sequence numbers (later packets are renumbered down), and
  ``_sent_packet`` maps a NACKed number back to its source packet and the payload sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtcpRrPacket, RtcpSrPacket, unpack_remb_fci

from sfu.rtp import HISTORY_SIZE, SourcePacket, TemporalFilter

if TYPE_CHECKING:
    from sfu.aiortc_hooks import PublisherTrack

ReportHook = Callable[[float, int], Awaitable[None]]  # (fraction lost 0..1, jitter)


class LinkAdaptation:
    """Mixed into SubscriberStream, which initialises these attributes and defines the rest."""

    ssrc: int
    source: PublisherTrack | None
    paused: bool
    link_paused: bool
    on_report: ReportHook | None
    on_remb: Callable[[int], None] | None
    temporal: TemporalFilter | None
    dropped_layers: int
    seq_offset: int
    highest_src: int
    span: int
    _sent: list[tuple[int, int, bytes] | None] | None
    _renumbered_from: int
    _resumed_at: int | None

    def _stop_forwarding(self) -> None:
        raise NotImplementedError

    async def _start_forwarding(self) -> None:
        raise NotImplementedError

    async def _link_feedback(self, packet: Any) -> None:
        """Receiver reports and REMB about this sender, to the subscriber's link adapter."""
        if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)) and self.on_report is not None:
            for block in packet.reports:
                if block.ssrc == self.ssrc and not self._stale(block.highest_sequence):
                    await self.on_report(block.fraction_lost / 256, block.jitter)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP and self.on_remb:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            if self.ssrc in ssrcs:
                self.on_remb(bitrate)

    def _stale(self, highest_sequence: int) -> bool:
        """After a resume, the first report that reaches it also counts as lost the packets that
        were lost just before the pause (the receiver learns of them only now): skip it."""
        if self._resumed_at is None:
            return False
        if (highest_sequence - self._resumed_at) & 0xFFFF < 0x8000:
            self._resumed_at = None
        return True

    async def set_link_paused(self, paused: bool) -> None:
        """Pause for a link that cannot carry this video, or resume it; independent of pause()."""
        if paused == self.link_paused:
            return
        self.link_paused = paused
        if paused:
            self._stop_forwarding()
        elif not self.paused:
            await self._start_forwarding()

    def _layer_filter(self, packet: SourcePacket) -> bytes | None:
        """The payload to forward under the temporal-layer target, or None to drop the packet.

        A dropped packet takes no sequence number: later packets are renumbered down by one (and
        a late packet from before that renumbering is dropped too, it has no number left)."""
        temporal = self.temporal
        assert temporal is not None
        seq = packet.seq
        if self._sent is None:
            self._sent = [None] * HISTORY_SIZE
            self._renumbered_from = seq
        newest = seq == self.highest_src
        if not newest and (seq - self._renumbered_from) & 0x8000:
            self.dropped_layers += 1
            return None
        d = packet.vp8
        if d is None or not temporal.forward(packet.timestamp, packet.keyframe_start, d):
            self.dropped_layers += 1
            if newest:
                self.seq_offset = (self.seq_offset - 1) & 0xFFFF
                self._renumbered_from = (seq + 1) & 0xFFFF
            return None
        return temporal.rewrite(packet.payload, d)

    def _sent_packet(self, out_seq: int) -> tuple[SourcePacket, bytes] | None:
        """What went out as ``out_seq`` (its source packet and the payload sent), if still known."""
        source = self.source
        if source is None:
            return None
        if self._sent is not None:
            entry = self._sent[out_seq % HISTORY_SIZE]
            if entry is None or entry[0] != out_seq:
                return None
            src_seq, payload = entry[1], entry[2]
        else:
            src_seq, payload = (out_seq - self.seq_offset) & 0xFFFF, b""
        if (self.highest_src - src_seq) & 0xFFFF > self.span:
            return None
        packet = source.history.get(src_seq)
        if packet is None:
            return None
        return packet, payload or packet.payload
