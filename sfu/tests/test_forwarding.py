"""Real aiortc peers on 127.0.0.1 through an in-process SfuWorker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from django.test import SimpleTestCase

from conference import protocol
from sfu import aiortc_hooks
from sfu.tests.peers import AudioStreamTrack, BrowserPeer, PatternVideoTrack, wait_for
from sfu.worker import SfuWorker

MEETING = 7


class Harness:
    def __init__(self, **worker_kwargs: Any) -> None:
        self.peers: dict[int, BrowserPeer] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.worker = SfuWorker(
            self.send, host_addresses=["127.0.0.1"], pli_min_interval=0.3, **worker_kwargs
        )

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))
        if channel.startswith("reply."):
            self.peers[int(channel.split(".")[1])].inbox.put_nowait(message)

    async def join(
        self, participant: int, *, publish: bool = True, captions: bool = False, video: bool = True
    ) -> BrowserPeer:
        peer = BrowserPeer(
            participant,
            self.worker.call,
            video=PatternVideoTrack() if publish and video else None,
            audio=AudioStreamTrack() if publish else None,
        )
        self.peers[participant] = peer
        peer.start()
        await self.worker.call(
            {
                "type": "sfu.join",
                "meeting": MEETING,
                "room": 3,
                "meeting_started_at": time.time(),
                "captions": captions,
                "participant": participant,
                "name": f"P{participant}",
                "reply_channel": f"reply.{participant}",
            }
        )
        await peer.publish()
        return peer

    async def close(self) -> None:
        await self.worker.close("test-over")
        for peer in self.peers.values():
            await peer.close()


class ForwardingTests(SimpleTestCase):
    async def test_fanout_keyframes_late_joiner_and_leave(self) -> None:
        h = Harness()
        video_decoders_before = aiortc_hooks.decoder_counts["video"]
        try:
            pub = await h.join(1)
            sub_a = await h.join(2, publish=False)
            sub_b = await h.join(3, publish=False)
            for sub in (sub_a, sub_b):
                await wait_for(lambda s=sub: s.frames[(1, "video")] >= 10, 15, "video frames at a subscriber")
                await wait_for(lambda s=sub: s.frames[(1, "audio")] >= 10, 5, "audio frames at a subscriber")
            self.assertEqual(sub_a.errors + sub_b.errors, [])
            # The SFU created no video decoder; the subscribers did (one each).
            self.assertEqual(h.worker.video_decoder_count, 0)
            self.assertEqual(aiortc_hooks.decoder_counts["video"] - video_decoders_before, 2)
            source = h.worker.publisher_tracks(1)["video"]
            self.assertGreater(source.packets_received, 0)

            # A subscriber's PLI reaches the publisher (after the throttle interval).
            await asyncio.sleep(0.4)
            requested = pub.keyframes_requested
            receiver = sub_a.receiver_for(1, "video")
            ssrc = next(s.source for s in receiver.getSynchronizationSources())
            await receiver._send_rtcp_pli(ssrc)
            await wait_for(lambda: pub.keyframes_requested > requested, 3, "the PLI at the publisher")
            stream = next(s.stream for s in h.worker.subscriber_streams(2) if s.kind == "video")
            self.assertGreaterEqual(stream.plis_received, 1)

            # A NACK is answered from the shared history as RTX.
            rtx_before = stream.rtx_sent
            await receiver._send_rtcp_nack(
                ssrc, [(stream.next_seq - 5) & 0xFFFF, (stream.next_seq - 4) & 0xFFFF]
            )
            await wait_for(lambda: stream.rtx_sent >= rtx_before + 2, 3, "RTX answers to the NACK")

            # A late joiner gets a keyframe and video within about a second of connecting.
            late = await h.join(4, publish=False)
            await wait_for(lambda: late.frames[(1, "video")] >= 1, 10, "video at the late joiner")
            assert late.subscribe_connected_at is not None
            self.assertLess(late.first_frame_at[(1, "video")] - late.subscribe_connected_at, 1.2)
            late_stream = next(s.stream for s in h.worker.subscriber_streams(4) if s.kind == "video")
            self.assertGreater(late_stream.packets_sent, 0)
            self.assertEqual(h.worker.video_decoder_count, 0)

            # Leave stops forwarding to and from that participant.
            await h.worker.call({"type": "sfu.leave", "participant": 3})
            self.assertEqual(h.worker.load, 3)
            sent_b = h.worker.subscriber_streams(3)
            self.assertEqual(sent_b, [])
            self.assertEqual(len(source.subscribers), 2)
            await h.worker.call({"type": "sfu.leave", "participant": 1})
            before = sub_a.frames[(1, "video")]
            await asyncio.sleep(0.5)
            after = sub_a.frames[(1, "video")]
            await asyncio.sleep(0.5)
            self.assertEqual(sub_a.frames[(1, "video")], after)
            self.assertLessEqual(after - before, 3)
            await wait_for(lambda: sub_a.offers >= 3, 5, "the renegotiation after the leave")
        finally:
            await h.close()
        closed = [m for _, m in h.sent if m["type"] == "sfu.closed"]
        self.assertEqual(sorted(m["participant"] for m in closed), [2, 4])

    async def test_mute_stops_and_resumes_audio(self) -> None:
        h = Harness()
        try:
            await h.join(1, video=False)
            sub = await h.join(2, publish=False)
            await wait_for(lambda: sub.frames[(1, "audio")] >= 5, 15, "audio frames")
            await h.worker.call({"type": "sfu.set_muted", "participant": 1, "kind": "audio", "muted": True})
            await asyncio.sleep(0.3)
            muted_at = sub.frames[(1, "audio")]
            await asyncio.sleep(0.6)
            self.assertLessEqual(sub.frames[(1, "audio")] - muted_at, 2)
            await h.worker.call({"type": "sfu.set_muted", "participant": 1, "kind": "audio", "muted": False})
            await wait_for(lambda: sub.frames[(1, "audio")] >= muted_at + 10, 5, "audio after unmute")
        finally:
            await h.close()


class ClosedPeerTests(SimpleTestCase):
    async def test_leave_after_a_subscriber_closed_its_connections(self) -> None:
        """A tab closed without a leave must not break the leave of someone else."""
        h = Harness()
        try:
            await h.join(1)
            gone = await h.join(2, publish=False)
            stays = await h.join(3, publish=False)
            await wait_for(lambda: stays.frames[(1, "video")] >= 3, 15, "video at the staying subscriber")
            # Participant 2's aiortc side is closed on the SFU (as when its ICE/DTLS died).
            await h.worker.participants[2].subscribe_pc.close()
            offers = stays.offers
            await h.worker.call({"type": "sfu.leave", "participant": 1})
            errors = [m for _, m in h.sent if m["type"] == "sfu.error"]
            self.assertEqual(errors, [])
            await wait_for(lambda: stays.offers > offers, 5, "the renegotiation of the staying subscriber")
            self.assertIn(3, h.worker.participants)
            del gone
        finally:
            await h.close()


class BadInputTests(SimpleTestCase):
    async def test_bad_commands_get_errors_and_the_worker_keeps_working(self) -> None:
        h = Harness()
        try:
            peer = await h.join(1)
            await wait_for(lambda: peer.publish_answered.is_set(), 10, "the publish answer")
            for sdp in ("hello", "", "v=0\r\nthis is not sdp\r\n", 42):
                await h.worker.call({"type": "sfu.publish_offer", "participant": 1, "sdp": sdp})
            await h.worker.call({"type": "sfu.subscribe_answer", "participant": 1, "sdp": "v=0\r\n"})
            await h.worker.call({"type": "sfu.ice", "participant": 99, "pc": "publish", "candidate": None})
            await h.worker.call({"type": "sfu.nonsense", "participant": 1})
            await h.worker.call({"type": "sfu.set_muted", "participant": 1, "kind": "smell", "muted": True})
            await h.worker.call("not a dict")  # type: ignore[arg-type]
            await wait_for(lambda: len(peer.errors) >= 7, 5, "the error replies")
            codes = [e["code"] for e in peer.errors]
            self.assertEqual(codes[:5], ["bad-sdp"] * 5)
            self.assertTrue(all(e["message"] for e in peer.errors))
            self.assertIn("unknown-type", codes)
            self.assertIn("invalid", codes)
            unknown = [m for c, m in h.sent if m["type"] == "sfu.error" and m["participant"] == 99]
            self.assertEqual(unknown, [])  # no reply channel for someone who never joined
            # The worker still works: a second participant joins and receives media.
            sub = await h.join(2, publish=False)
            await wait_for(lambda: sub.frames[(1, "video")] >= 3, 15, "video after bad input")
            # Unknown participant with a reply channel in hand gets an error.
            await h.worker.call(
                {"type": "sfu.leave", "participant": 42, "reply_channel": "reply.2"}  # type: ignore[typeddict-unknown-key]
            )
            await wait_for(lambda: any(e["code"] == "unknown-participant" for e in sub.errors), 5, "unknown")
        finally:
            await h.close()


class FakeTap:
    def __init__(self, finals: int) -> None:
        self.fed = 0
        self.finals = finals
        self.muted = False

    def feed(self, payload: bytes, rtp_timestamp: int, arrival: float) -> None:
        self.fed += 1

    def set_muted(self, muted: bool) -> None:
        self.muted = muted

    async def close(self) -> int:
        return self.finals


class CaptionTapTests(SimpleTestCase):
    async def test_taps_fed_and_flush_after_last_leave(self) -> None:
        taps: list[FakeTap] = []

        def factory(context: Any) -> FakeTap:
            self.assertEqual(context.meeting, MEETING)
            taps.append(FakeTap(finals=2))
            return taps[-1]

        h = Harness(audio_tap_factory=factory)
        try:
            await h.join(1, captions=True, video=False)
            await wait_for(lambda: taps and taps[0].fed >= 20, 15, "audio fed to the tap")
            await h.worker.call({"type": "sfu.leave", "participant": 1})
            await wait_for(lambda: any(c == protocol.TRANSCRIBE_CHANNEL for c, _ in h.sent), 5, "the flush")
            flushes = [m for c, m in h.sent if c == protocol.TRANSCRIBE_CHANNEL]
            self.assertEqual(flushes, [{"type": "transcribe.flush", "meeting": MEETING, "finals": 2}])
        finally:
            await h.close()

    async def test_flush_without_factory(self) -> None:
        h = Harness()
        try:
            await h.join(1, publish=False, captions=True)
            await h.worker.call({"type": "sfu.leave", "participant": 1})
            await wait_for(lambda: any(c == protocol.TRANSCRIBE_CHANNEL for c, _ in h.sent), 5, "the flush")
            flushes = [m for c, m in h.sent if c == protocol.TRANSCRIBE_CHANNEL]
            self.assertEqual(flushes, [{"type": "transcribe.flush", "meeting": MEETING, "finals": 0}])
        finally:
            await h.close()
