"""Reading datagrams and RTP cheaply (asyncio and aiortc 1.16.0 internals; see aiortc_hooks).

- ``install_datagram_drain()``: asyncio's datagram transport reads ONE datagram per event-loop
  turn and socket. A loop that serves many peer connections then falls behind its sockets: media
  piles up in the kernel buffer and ICE consent answers arrive late or are dropped with it, until
  aioice declares the connection lost. The drained reader takes every pending datagram (up to a
  bound, so one flooded socket cannot hold the loop) per wakeup.
- ``use_encoder()``: a test publisher's own packer (conference.testing.layers: VP8 temporal layers).
- ``tap_rtp()``: see each packet a receiver gets, and let it handle the packet as usual.
- ``count_rtp()``: a receiver that only counts what arrives (a null sink) instead of reassembling
  and decoding it: for receive-only test and bench peers, which must not spend the CPU that the
  SFU under test needs.
"""

from __future__ import annotations

from asyncio import selector_events
from collections.abc import Callable
from typing import Any

from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

MAX_DATAGRAMS_PER_WAKEUP = 64
_original_read_ready = selector_events._SelectorDatagramTransport._read_ready  # type: ignore[attr-defined]


def _drained_read_ready(self: Any) -> None:
    # asyncio 3.11's _SelectorDatagramTransport._read_ready, in a bounded loop.
    for _ in range(MAX_DATAGRAMS_PER_WAKEUP):
        if self._conn_lost:
            return
        try:
            data, addr = self._sock.recvfrom(self.max_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._protocol.error_received(exc)
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on datagram transport")
            return
        self._protocol.datagram_received(data, addr)


def install_datagram_drain() -> None:
    """Process-wide, for datagram sockets created from now on (the reader is bound at creation)."""
    selector_events._SelectorDatagramTransport._read_ready = _drained_read_ready  # type: ignore[attr-defined]


def uninstall_datagram_drain() -> None:
    selector_events._SelectorDatagramTransport._read_ready = _original_read_ready  # type: ignore[attr-defined]


def datagram_drain_installed() -> bool:
    return selector_events._SelectorDatagramTransport._read_ready is _drained_read_ready  # type: ignore[attr-defined]


def count_rtp(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket], None]) -> None:
    """Hand every RTP packet routed to ``receiver`` (RTX included) to ``on_packet``; nothing is
    reassembled or decoded, no NACK or receiver statistics are kept."""

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        on_packet(packet)

    receiver._handle_rtp_packet = handle  # type: ignore[method-assign]


def use_encoder(sender: Any, encoder: Any) -> None:
    """Test publishers: ``sender`` packs with ``encoder`` instead of the one aiortc would pick
    (set before its first frame; aiortc keeps an encoder it finds in place)."""
    sender._RTCRtpSender__encoder = encoder


def tap_rtp(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket, bool], None]) -> None:
    """Show every RTP packet routed to ``receiver`` to ``on_packet(packet, is_rtx)`` first, then
    let the receiver handle it as usual (statistics, reports, NACKs, decoding all stay)."""
    from aiortc.codecs import is_rtx

    original = receiver._handle_rtp_packet

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        codec = receiver._RTCRtpReceiver__codecs.get(packet.payload_type)  # type: ignore[attr-defined]
        on_packet(packet, codec is not None and is_rtx(codec))
        await original(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle  # type: ignore[method-assign]
