"""Crafted RTP from a publisher: the SFU's work and state stay bounded, the other meeting goes on."""

from __future__ import annotations

import random
import struct

from conference.testing.hostile import payload_types, publisher_ssrcs, rtp, send_raw, under_attack
from conference.testing.peers import wait_for
from sfu.aiortc_hooks_guard import SEQ_OK, SEQ_RESET, BoundedNackGenerator, receiver_state_size
from sfu.limits import Limits
from sfu.tests.base import TwoMeetingsCase

SECONDS = 2.0


class SequenceTests(TwoMeetingsCase):
    async def test_sequence_jumps_reset_the_stream_instead_of_nacking_the_gap(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            ssrc, pt = publisher_ssrcs(bad)["video"], payload_types(bad)["video"]
            source = h.worker.publisher_tracks(1)["video"]

            async def jump(i: int) -> None:
                await send_raw(bad.publish_pc, rtp(ssrc=ssrc, seq=(i * 32_000) & 0xFFFF, pt=pt, timestamp=i))

            probe, sent, frames = await under_attack(h, quiet, SECONDS, jump)
            self.assertGreater(sent, 500)
            self.assert_quiet_unaffected(probe, frames, SECONDS)
            self.assertGreater(source.seq_resets, 100)
            self.assertLessEqual(len(source.sequence.missing), 128)
            # (SRTP's rollover counter now garbles the attacker's own video for good; its audio,
            # another SSRC, still reaches the other person in its meeting.)
            before = watcher.frames[(1, "audio")]
            await wait_for(lambda: watcher.frames[(1, "audio")] >= before + 10, 10, "audio after the jumps")
            self.assert_no_loop_errors()
            self.assert_meetings_alive(h)
        finally:
            await self.stop(h)

    def test_wrap_around_is_not_a_jump(self) -> None:
        gen = BoundedNackGenerator(window=512)
        for seq in [*range(65_530, 65_536), *range(0, 6)]:
            self.assertEqual(gen.check(seq), SEQ_OK)
        self.assertEqual(gen.missing, set())
        gen.check(8)  # 6 and 7 missing, across nothing
        self.assertEqual(gen.missing, {6, 7})
        self.assertEqual(gen.check(8 + 30_000), SEQ_RESET)
        self.assertEqual(gen.missing, set())


class SsrcTests(TwoMeetingsCase):
    async def test_random_ssrcs_create_no_state(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            pts = payload_types(bad)
            rng = random.Random(8)
            p = h.worker.participants[1]
            state_before = receiver_state_size(p.publish_pc)

            async def stranger(i: int) -> None:
                pt = pts["audio"] if i % 2 else pts["video"]
                await send_raw(bad.publish_pc, rtp(ssrc=rng.getrandbits(32), seq=i, pt=pt))

            probe, sent, frames = await under_attack(h, quiet, SECONDS, stranger)
            self.assert_quiet_unaffected(probe, frames, SECONDS)
            self.assertGreater(p.guard.ssrc_dropped, sent // 2)
            self.assertLessEqual(p.guard.ssrc_count(), h.worker.limits.max_ssrcs_per_connection)
            self.assertLessEqual(receiver_state_size(p.publish_pc), state_before + 4 * 8)
            for t in p.publish_pc.getTransceivers():  # aiortc's receiver RTCP tasks still run
                task = t.receiver._RTCRtpReceiver__rtcp_task
                self.assertTrue(task is None or not task.done())
            before = watcher.frames[(1, "video")]
            await wait_for(
                lambda: watcher.frames[(1, "video")] >= before + 5, 10, "video after the strangers"
            )
            self.assert_no_loop_errors()
        finally:
            await self.stop(h)


class MalformedTests(TwoMeetingsCase):
    async def test_unknown_payload_types_truncated_and_padding_only_packets(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            ssrcs, pts = publisher_ssrcs(bad), payload_types(bad)
            audio = h.worker.publisher_tracks(1)["audio"]
            rng = random.Random(10)

            async def garbage(i: int) -> None:
                # (Announced SSRCs only where needed: a crafted packet takes a sequence number the
                # real stream then loses to libsrtp's replay check. Video is checked afterwards.)
                kind = i % 4
                if kind == 0:  # a payload type nobody negotiated, on the announced audio SSRC
                    seq = (audio.sequence.max_seq or 0) + 1
                    data = rtp(ssrc=ssrcs["audio"], seq=seq, pt=(pts["video"] + 17) % 128)
                elif kind == 1:  # extension bit without an extension
                    data = struct.pack("!BBHII", 0x90, pts["video"], i & 0xFFFF, 0, rng.getrandbits(32))
                elif kind == 2:  # fifteen CSRCs announced, none present
                    data = struct.pack("!BBHII", 0x8F, pts["audio"], i & 0xFFFF, 0, rng.getrandbits(32))
                else:  # padding only
                    data = rtp(ssrc=rng.getrandbits(32), seq=i, pt=pts["video"], payload=b"", padding=200)
                await send_raw(bad.publish_pc, data)

            probe, sent, frames = await under_attack(h, quiet, SECONDS, garbage)
            self.assert_quiet_unaffected(probe, frames, SECONDS)
            before = watcher.frames[(1, "video")]
            await wait_for(lambda: watcher.frames[(1, "video")] >= before + 5, 10, "video after the garbage")
            self.assert_no_loop_errors()
            self.assert_meetings_alive(h)
        finally:
            await self.stop(h)


class BudgetTests(TwoMeetingsCase):
    # a camera and a microphone need ~200 packets/s and ~1.5 Mbit/s
    limits = Limits(allow_private_candidates=True, publisher_packets_per_second=400, publisher_kbps=2500)

    async def test_a_publisher_over_its_packet_budget_is_dropped(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            pt = payload_types(bad)["audio"]
            p = h.worker.participants[1]
            rng = random.Random(9)

            async def flood(i: int) -> None:  # (own SSRCs: libsrtp drops replays of a used one)
                data = rtp(ssrc=rng.getrandbits(32), seq=i, pt=pt, payload=b"\x00" * 1000)
                await send_raw(bad.publish_pc, data)

            # ~4,000 packets/s of 1 kB: over both the packet and the bitrate budget
            probe, sent, frames = await under_attack(h, quiet, SECONDS, flood, per_tick=40)
            self.assert_quiet_unaffected(probe, frames, SECONDS)
            self.assertGreater(p.guard.rtp_dropped, 0)
            self.assert_no_loop_errors()
        finally:
            await self.stop(h)
