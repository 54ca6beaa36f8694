"""Reading datagrams and RTP cheaply (asyncio and aiortc 1.16.0 internals; see aiortc_hooks).

- ``install_datagram_drain()``: asyncio's datagram transport reads ONE datagram per event-loop
  turn and socket. A loop that serves many peer connections then falls behind its sockets: media
  piles up in the kernel buffer and ICE consent answers arrive late or are dropped with it, until
  aioice declares the connection lost. The drained reader takes every pending datagram (up to a
  bound, so one flooded socket cannot hold the loop) per wakeup.
- ``use_encoder()``: a test publisher's own packer (conference.testing.layers: VP8 temporal layers).
- ``tap_rtp()``: see each packet a receiver gets, and let it handle the packet as usual.
- :class:`DirectSend`: a forwarded packet goes to the nominated ICE pair's socket with one
  ``socket.sendto`` (asyncio's ``DatagramTransport.sendto`` checks its arguments and state in Python
  first, for every packet of every subscriber); through the transport when that has a backlog or
  the socket would block, so ordering and buffering stay asyncio's. ``DirectSend.send_rtp`` is the
  C fast path of a forwarded packet (sfu.fastpath): header, SRTP protect and sendto in one call.
- ``count_rtp()``: a receiver that only counts what arrives (a null sink) instead of reassembling
  and decoding it: for receive-only test and bench peers, which must not spend the CPU that the
  SFU under test needs.
- ``count_srtp()``: cheaper still, for bench peers that only measure: SRTP datagrams are counted
  as they leave the peer's socket (SSRC, sequence number and size are in clear) and never
  decrypted; DTLS, STUN and RTCP go on to aiortc as usual.
"""

from __future__ import annotations

import errno
import socket
from asyncio import selector_events
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from sfu import fastpath

MAX_DATAGRAMS_PER_WAKEUP = 64
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; Python does not name it
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


class DirectSend:
    """Sends datagrams on a DTLS transport's nominated ICE pair (followed if ICE changes it)."""

    __slots__ = ("_connection", "_pair", "_transport", "_sock", "_addr", "_c", "_session", "_srtp")

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._connection = dtls.transport._connection  # aioice's, shared by bundled sections
        self._pair: Any = None
        self._transport: Any = None
        self._sock: Any = None
        self._addr: Any = None
        self._c: Any = None  # the fast path's view of the pair: (fd, sockaddr, its length, out, out_len)
        self._session: Any = None  # the pylibsrtp Session whose srtp_t is _srtp
        self._srtp = 0

    def _follow(self) -> bool:
        pair = self._connection._nominated.get(1)
        if pair is not self._pair:
            transport = pair.protocol.transport if pair is not None else None
            if transport is None:
                return False
            self._pair, self._transport, self._addr = pair, transport, pair.remote_addr
            self._sock = transport._sock
            self._c = None
        return True

    def send(self, data: bytes) -> bool:
        if not self._follow():
            return False
        transport = self._transport
        if transport._buffer or transport._conn_lost:
            transport.sendto(data, self._addr)  # queued behind the backlog (or dropped: closing)
            return not transport._conn_lost
        try:
            self._sock.sendto(data, self._addr)
        except (BlockingIOError, InterruptedError):
            transport.sendto(data, self._addr)  # asyncio queues it and writes it when it can
        except OSError:
            return False
        return True

    def send_rtp(
        self,
        session: Any,
        marker_pt: int,
        seq: int,
        timestamp: int,
        ssrc: int,
        ext_head: bytes,
        abs_send_time: bytes,
        pad: int,
        payload: bytes,
    ) -> bool | None:
        """The C fast path (sfu.fastpath): the RTP packet SubscriberStream.forward would pack,
        protected with ``session`` and sent, in one call. None: it cannot (the caller sends in
        Python); otherwise what ``send`` would return for that datagram."""
        if not self._follow():
            return False
        c = self._c
        if c is None:
            c = self._c = _fast_target(self._sock, self._addr)
            if c is None:
                return None
        if session is not self._session:
            self._session, self._srtp = session, fastpath.srtp_pointer(session)
        transport = self._transport
        backlog = transport._buffer or transport._conn_lost
        fd, addr, addrlen, out, out_len = c
        rc = fastpath.lib.sfu_send_rtp(
            fastpath.PROTECT,
            self._srtp,
            -1 if backlog else fd,  # -1: protect only, the datagram comes back in out
            addr,
            addrlen,
            marker_pt,
            seq,
            timestamp,
            ssrc,
            ext_head,
            len(ext_head),
            abs_send_time,
            pad,
            payload,
            len(payload),
            fastpath.MAX_RTP,
            out,
            out_len,
        )
        if rc == 0:
            return True
        if rc <= -100000:  # protect failed or too large: what pylibsrtp raises for
            return False
        if backlog or -rc in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
            transport.sendto(fastpath.ffi.buffer(out, out_len[0])[:], self._addr)  # asyncio queues it
            return not transport._conn_lost
        return False


def _fast_target(sock: socket.socket, addr: Any) -> tuple[int, Any, int, Any, Any] | None:
    """What sfu_send_rtp needs of a pair: fd, sockaddr, its length, a buffer for a datagram it
    could not send, that datagram's length. None for an address it does not read."""
    ffi = fastpath.ffi
    sockaddr = ffi.new("char[]", 28)
    scope = addr[3] if len(addr) > 3 else 0
    length = fastpath.lib.sfu_sockaddr(sock.family, str(addr[0]).encode(), int(addr[1]), scope, sockaddr)
    if length < 0:
        return None
    return sock.fileno(), sockaddr, length, ffi.new("char[]", 1500), ffi.new("int *")


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


def count_srtp(
    pc: RTCPeerConnection, on_rtp: Callable[[int, int, int], None], receive_buffer: int = 0
) -> None:
    """``on_rtp(ssrc, seq, size)`` for every RTP datagram pc receives (call after its answer);
    those datagrams go no further (no SRTP, no receiver statistics, no NACKs).

    ``receive_buffer``: bytes of kernel buffer for its sockets (as root past net.core.rmem_max), so
    a bench peer's process that the machine's load stalls for a moment does not drop what the SFU
    sent: the loss a bench reports is then the SFU's."""
    connections = {
        id(t.receiver.transport.transport._connection): t.receiver.transport.transport._connection
        for t in pc.getTransceivers()
        if t.receiver.transport is not None
    }
    for connection in connections.values():
        if receive_buffer:
            for protocol in connection._protocols:
                sock = protocol.transport.get_extra_info("socket")
                try:
                    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)
                except OSError:  # not root: as much as rmem_max allows
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        original = connection.data_received

        def data_received(data: bytes, component: int, original: Any = original) -> None:
            if len(data) >= 12 and 127 < data[0] < 192 and not 192 <= data[1] <= 208:
                on_rtp(int.from_bytes(data[8:12]), (data[2] << 8) | data[3], len(data))
                return
            original(data, component)

        connection.data_received = data_received
