"""A direct inbound path for publishers' RTP (aiortc 1.16.0 / aioice 0.13 internals; see aiortc_hooks).

aiortc reads media like this: aioice's protocol tries to parse every datagram as STUN, puts what is
not STUN in an unbounded asyncio queue, the DTLS transport's reader task wakes for each one (a
future, a task step), unprotects it, parses it into an ``RtpPacket`` (every header extension) and
routes it. For a publisher's media that is most of the SFU's fixed cost per publisher.

Here, where the guard already sees each datagram (sfu.aiortc_hooks_guard), an SRTP packet of an SSRC
aiortc's router already knows, with a media (not RTX) payload type of a receiver that a
``PublisherTrack`` taps, is unprotected at once and handed to that track
(``PublisherTrack.receive_direct``): no queue, no reader task, no ``RtpPacket``. Everything else
(DTLS, SRTCP, RTX, unknown SSRCs, packets before DTLS is up) goes aiortc's way as before, so DTLS,
RTCP handling (PLI relay, NACKs from subscribers, reports) and SSRC learning stay aiortc's.

- ``install_stun_demux()``: RFC 7983 demultiplexing where aioice hands datagrams over: a first byte
  in 128..191 is RTP/RTCP and goes straight to the connection, without a STUN parse attempt (which
  raises ``ValueError`` for every media packet).
"""

from __future__ import annotations

import logging
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc.rtcdtlstransport import State as DtlsState

from sfu.aiortc_hooks_io import DirectSend
from sfu.rtp import ms_now

logger = logging.getLogger(__name__)

_original_stun_datagram_received = aioice.ice.StunProtocol.datagram_received


def _demux_datagram_received(self: Any, data: bytes, addr: Any) -> None:
    # RFC 7983: 128..191 is RTP/RTCP; STUN starts with two zero bits (aioice then parses it).
    if data and 127 < data[0] < 192:
        self.receiver.data_received(data, self.local_candidate.component)
        return
    _original_stun_datagram_received(self, data, addr)


def install_stun_demux() -> None:
    """Process-wide (aioice looks the method up on its class for every datagram)."""
    aioice.ice.StunProtocol.datagram_received = _demux_datagram_received  # type: ignore[method-assign]


def uninstall_stun_demux() -> None:
    aioice.ice.StunProtocol.datagram_received = _original_stun_datagram_received  # type: ignore[method-assign]


class DirectInbound:
    """The direct path of one DTLS transport: ``handle(datagram)`` is True when it took it."""

    __slots__ = ("dtls", "table", "packets", "srtp_failed", "errors")

    def __init__(self, dtls: Any) -> None:
        self.dtls = dtls
        self.table = dtls._rtp_router.ssrc_table  # aiortc's SSRC -> receiver (learned on its path)
        self.packets = 0
        self.srtp_failed = 0  # failed authentication or replay: dropped, as aiortc drops them
        self.errors = 0

    def handle(self, data: bytes) -> bool:
        """``data``: an RTP (not RTCP) datagram of at least 12 bytes, within the guard's budget."""
        dtls = self.dtls
        srtp = dtls._rx_srtp
        if srtp is None or dtls._state is not DtlsState.CONNECTED or len(data) < 12:
            return False
        receiver = self.table.get(int.from_bytes(data[8:12]))
        track = getattr(receiver, "_sfu_track", None)
        if track is None or (data[1] & 0x7F) not in track.media_payload_types:
            return False  # aiortc's path: RTX, an SSRC to learn, a receiver we do not tap
        try:
            plain = srtp.unprotect(data)
        except pylibsrtp.Error:
            self.srtp_failed += 1
            return True
        self.packets += 1
        try:
            track.receive_direct(plain, ms_now(), dtls)
        except Exception:  # never into aioice's datagram_received (asyncio would log per packet)
            self.errors += 1
            if self.errors <= 10:
                logger.exception("direct inbound path failed")
        return True


def rtcp_send_now(dtls: Any, data: bytes) -> bool:
    """Protect an RTCP packet and send it on the nominated pair at once (what aiortc's
    ``_send_rtp`` does through three awaits); False when DTLS is not connected."""
    if dtls is None or dtls._state is not DtlsState.CONNECTED:
        return False
    direct = getattr(dtls, "_sfu_direct_send", None)
    if direct is None:
        direct = dtls._sfu_direct_send = DirectSend(dtls)
    try:
        return direct.send(dtls._tx_srtp.protect_rtcp(data))
    except Exception:  # a closing transport
        return False
