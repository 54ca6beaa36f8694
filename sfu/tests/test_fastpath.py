"""The C fast path of forwarding (sfu/_fastpath, sfu.fastpath): the same datagrams as the Python
path, byte for byte, and a real subscriber decrypts and decodes what either path sends."""

from __future__ import annotations

import os
import socket

from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)
from django.test import SimpleTestCase
from pylibsrtp import Policy, Session

from conference.testing.peers import SfuHarness, wait_for
from sfu import fastpath
from sfu.aiortc_hooks_subscriber import ABS_SEND_TIME_URI, MID_URI, SubscriberStream
from sfu.rtp import parse_rtp

KEY = bytes(range(30))  # SRTP_AES128_CM_SHA1_80: 16 bytes of key, 14 of salt


def built() -> None:
    if fastpath.lib is None:
        raise AssertionError("sfu/_fastpath is not built: run make setup (or sfu/fastpath_build.py)")


class SameBytesTests(SimpleTestCase):
    def setUp(self) -> None:
        built()
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind(("127.0.0.1", 0))
        self.rx.settimeout(2)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addr = fastpath.ffi.new("char[]", 28)
        self.addrlen = fastpath.lib.sfu_sockaddr(
            socket.AF_INET, b"127.0.0.1", self.rx.getsockname()[1], 0, self.addr
        )
        self.assertEqual(self.addrlen, 16)
        self.pcs: list[RTCPeerConnection] = []

    def tearDown(self) -> None:
        self.rx.close()
        self.tx.close()

    async def stream(self, *, mid: bool) -> SubscriberStream:
        """A subscribe-side stream configured as forward sees it (real aiortc sender)."""
        pc = RTCPeerConnection()
        self.pcs.append(pc)  # closed by the test (SimpleTestCase has no async cleanups)
        stream = SubscriberStream(pc.addTransceiver("video", direction="sendonly").sender)
        extensions = [RTCRtpHeaderExtensionParameters(id=3, uri=ABS_SEND_TIME_URI)]
        if mid:
            extensions.insert(0, RTCRtpHeaderExtensionParameters(id=1, uri=MID_URI))
        stream.configure(
            RTCRtpSendParameters(
                codecs=[RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)],
                headerExtensions=extensions,
                muxId="1" if mid else "",
            )
        )
        self.assertIsNotNone(stream._pack_header)
        return stream

    async def close(self) -> None:
        for pc in self.pcs:
            await pc.close()

    async def test_both_paths_send_the_same_datagrams_and_the_subscriber_decrypts_them(self) -> None:
        try:
            await self.same_bytes()
        finally:
            await self.close()

    async def same_bytes(self) -> None:
        for mid in (True, False):
            stream = await self.stream(mid=mid)
            python_tx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
            c_tx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
            rx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_INBOUND))
            srtp = fastpath.srtp_pointer(c_tx)
            out, out_len = fastpath.ffi.new("char[]", 1500), fastpath.ffi.new("int *")
            cases = [  # (marker, seq, timestamp, payload): wraps, sizes, a 0-byte payload
                (0, 65534, 0xFFFFFFF0, os.urandom(1100)),
                (1, 65535, 0xFFFFFFFF, os.urandom(1)),
                (0, 0, 0, b""),
                (1, 1, 3000, os.urandom(500)),
                (
                    0,
                    2,
                    6000,
                    os.urandom(fastpath.MAX_RTP - 12 - len(stream._ext_head) - 3 - len(stream._ext_tail)),
                ),
            ]
            for marker, seq, ts, payload in cases:
                abs_send_time = os.urandom(3)
                marker_pt = (marker << 7) | 97
                plain = (
                    stream._pack_header(
                        0x90,
                        marker_pt,
                        seq,
                        ts,
                        stream.ssrc,
                        stream._ext_head,
                        abs_send_time,
                        stream._ext_tail,
                    )
                    + payload
                )
                self.tx.sendto(python_tx.protect(plain), self.rx.getsockname())
                by_python = self.rx.recv(2048)
                rc = fastpath.lib.sfu_send_rtp(
                    fastpath.PROTECT, srtp, self.tx.fileno(), self.addr, self.addrlen, marker_pt, seq, ts,
                    stream.ssrc, stream._ext_head, len(stream._ext_head), abs_send_time,
                    len(stream._ext_tail), payload, len(payload), fastpath.MAX_RTP, out, out_len,
                )  # fmt: skip
                self.assertEqual(rc, 0)
                by_c = self.rx.recv(2048)
                self.assertEqual(by_c, by_python, f"seq {seq}, {len(payload)} bytes, mid {mid}")
                fields = parse_rtp(rx.unprotect(by_c), 3)
                self.assertEqual(
                    fields, (97, marker, seq, ts, stream.ssrc, payload, 0, int.from_bytes(abs_send_time))
                )
            # What pylibsrtp refuses (too large to protect), the fast path refuses too.
            too_big = os.urandom(fastpath.MAX_RTP)
            with self.assertRaises(ValueError):
                python_tx.protect(b"\x90" + too_big)
            rc = fastpath.lib.sfu_send_rtp(
                fastpath.PROTECT, srtp, self.tx.fileno(), self.addr, self.addrlen, 97, 3, 9000,
                stream.ssrc, stream._ext_head, len(stream._ext_head), b"\0\0\0", len(stream._ext_tail),
                too_big, len(too_big), fastpath.MAX_RTP, out, out_len,
            )  # fmt: skip
            self.assertLessEqual(rc, -200000)

    async def test_a_datagram_it_cannot_send_comes_back_protected(self) -> None:
        try:
            await self.sent_back()
        finally:
            await self.close()

    async def sent_back(self) -> None:
        # fd -1 is what DirectSend passes when asyncio's transport has a backlog: the datagram
        # is protected, not sent, and handed back to be queued behind it.
        stream = await self.stream(mid=True)
        python_tx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
        c_tx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
        out, out_len = fastpath.ffi.new("char[]", 1500), fastpath.ffi.new("int *")
        payload = os.urandom(800)
        plain = stream._pack_header(0x90, 97, 10, 20, stream.ssrc, stream._ext_head, b"abc", stream._ext_tail)
        rc = fastpath.lib.sfu_send_rtp(
            fastpath.PROTECT, fastpath.srtp_pointer(c_tx), -1, self.addr, self.addrlen, 97, 10, 20,
            stream.ssrc, stream._ext_head, len(stream._ext_head), b"abc", len(stream._ext_tail),
            payload, len(payload), fastpath.MAX_RTP, out, out_len,
        )  # fmt: skip
        self.assertLess(rc, 0)
        self.assertGreater(rc, -100000)  # -EBADF: a send error, not a protect error
        self.assertEqual(fastpath.ffi.buffer(out, out_len[0])[:], python_tx.protect(plain + payload))


class RealSubscriberTests(SimpleTestCase):
    async def test_a_subscriber_decodes_video_sent_by_either_path(self) -> None:
        built()
        h = SfuHarness()
        try:
            await h.join(1)
            viewer = await h.join(2, publish=False)
            await wait_for(lambda: viewer.frames[(1, "video")] >= 10, 15, "video at the viewer")
            streams = [s for track in h.worker.publisher_tracks(1).values() for s in track.subscribers]
            self.assertTrue(streams)
            self.assertTrue(all(s._fast for s in streams))
            self.assertGreater(sum(s.fast_sent for s in streams), 0)
            # The same streams switch to the Python path mid-stream (one SRTP session, its
            # sequence continued): the viewer keeps decrypting and decoding.
            for s in streams:
                s._fast = False
            fast_sent = sum(s.fast_sent for s in streams)
            frames = viewer.frames[(1, "video")]
            await wait_for(
                lambda: viewer.frames[(1, "video")] >= frames + 15, 15, "video over the Python path"
            )
            self.assertEqual(sum(s.fast_sent for s in streams), fast_sent)
            for s in streams:
                s._fast = True
            frames = viewer.frames[(1, "video")]
            await wait_for(
                lambda: viewer.frames[(1, "video")] >= frames + 15, 15, "video over the fast path again"
            )
            self.assertGreater(sum(s.fast_sent for s in streams), fast_sent)
            self.assertEqual(viewer.errors, [])
        finally:
            await h.close()
