"""Units of link adaptation without peers: the VP8 payload descriptor parser and rewriter, the
temporal-layer filter, and the LinkAdapter state machine."""

from __future__ import annotations

import random

from django.test import SimpleTestCase

from sfu.adapt import FULL, PAUSED, AdaptConfig, LinkAdapter
from sfu.rtp import NO_TID, TemporalFilter, vp8_descriptor, vp8_keyframe_start, vp8_rewrite


def descriptor_bytes(
    *,
    start: bool = True,
    picture_id: int | None = 1234,
    long_id: bool = True,
    tl0: int | None = 7,
    tid: int | None = 0,
    sync: bool = False,
    keyidx: int | None = None,
) -> bytes:
    """An RFC 7741 payload descriptor, written independently of the parser under test."""
    x = 0
    tail = b""
    if picture_id is not None:
        x |= 0x80
        tail += (
            bytes([0x80 | (picture_id >> 8), picture_id & 0xFF]) if long_id else bytes([picture_id & 0x7F])
        )
    if tl0 is not None:
        x |= 0x40
        tail += bytes([tl0])
    if tid is not None or keyidx is not None:
        x |= (0x20 if tid is not None else 0) | (0x10 if keyidx is not None else 0)
        tail += bytes([((tid or 0) << 6) | (0x20 if sync else 0) | (keyidx or 0)])
    first = (0x10 if start else 0) | (0x80 if x else 0)
    return bytes([first]) + (bytes([x]) if x else b"") + tail


VP8_DELTA = b"\x01\x02\x03"  # VP8 payload header, P bit set: an interframe
VP8_KEY = b"\x00\x02\x03"


class DescriptorTests(SimpleTestCase):
    def test_every_field_is_read(self) -> None:
        payload = descriptor_bytes(picture_id=0x1ABC, tl0=200, tid=2, sync=True) + VP8_DELTA
        d = vp8_descriptor(payload)
        assert d is not None
        self.assertEqual((d.tid, d.layer_sync, d.start), (2, True, True))
        self.assertEqual((d.picture_id, d.picture_id_bits, d.picture_id_at), (0x1ABC, 15, 2))
        self.assertEqual((d.tl0picidx, d.tl0picidx_at), (200, 4))

    def test_short_picture_id_and_keyidx_without_tid(self) -> None:
        d = vp8_descriptor(
            descriptor_bytes(picture_id=99, long_id=False, tl0=None, tid=None, keyidx=3) + VP8_DELTA
        )
        assert d is not None
        self.assertEqual((d.picture_id, d.picture_id_bits, d.tid, d.tl0picidx), (99, 7, NO_TID, -1))

    def test_no_extension_is_a_stream_without_layers(self) -> None:
        d = vp8_descriptor(b"\x10" + VP8_KEY)
        assert d is not None
        self.assertEqual((d.tid, d.picture_id, d.tl0picidx, d.start), (NO_TID, -1, -1, True))

    def test_continuation_packet_is_not_a_start(self) -> None:
        d = vp8_descriptor(descriptor_bytes(start=False, tid=1) + b"\xaa\xbb")
        assert d is not None
        self.assertFalse(d.start)

    def test_malformed_descriptors_are_refused_not_crashed_on(self) -> None:
        full = descriptor_bytes(picture_id=0x1ABC, tl0=9, tid=1)
        for cut in range(len(full) + 1):  # every truncation, with no VP8 payload after it
            self.assertIsNone(vp8_descriptor(full[:cut]), f"cut at {cut}")
        rng = random.Random(11)
        for _ in range(5000):  # random bytes: either a descriptor within bounds or None
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 8)))
            d = vp8_descriptor(data)
            self.assertEqual(vp8_keyframe_start(data), d is not None and d.keyframe, data)
            if d is not None:
                self.assertLess(max(d.picture_id_at, d.tl0picidx_at), len(data))
                self.assertEqual(len(vp8_rewrite(data, d, 5, 6)), len(data))

    def test_rewrite_changes_only_the_ids(self) -> None:
        payload = descriptor_bytes(picture_id=0x7FFF, tl0=255, tid=2, sync=True) + VP8_DELTA
        d = vp8_descriptor(payload)
        assert d is not None
        out = vp8_rewrite(payload, d, 0x0102, 3)
        again = vp8_descriptor(out)
        assert again is not None
        self.assertEqual(
            (again.picture_id, again.tl0picidx, again.tid, again.layer_sync), (0x0102, 3, 2, True)
        )
        self.assertEqual(out[-3:], VP8_DELTA)
        self.assertEqual(out[0:2], payload[0:2])


def frame(pid: int, tl0: int, tid: int, *, sync: bool = False) -> bytes:
    return descriptor_bytes(picture_id=pid % 32768, tl0=tl0 % 256, tid=tid, sync=sync) + VP8_DELTA


PATTERN = (0, 2, 1, 2)  # L1T3: TID of frames 0, 1, 2, 3 of each period of four
SYNC = (False, True, True, False)  # Y on the first TL1 / TL2 after a TL0 (they use TL0 only)


class TemporalFilterTests(SimpleTestCase):
    def run_frames(
        self, f: TemporalFilter, frames: range, targets: dict[int, int] | None = None
    ) -> list[int]:
        """Frames numbered ``frames`` through ``f``; the picture IDs of those forwarded, as sent."""
        sent = []
        for n in frames:
            if targets and n in targets:
                f.target = targets[n]
            tid = PATTERN[n % 4]
            payload = frame(1000 + n, n // 4, tid, sync=SYNC[n % 4])
            d = vp8_descriptor(payload)
            assert d is not None
            if f.forward(n * 3000, n == 0, d):
                out = vp8_descriptor(f.rewrite(payload, d))
                assert out is not None
                sent.append(out.picture_id)
                self.assertEqual(out.tid, tid)
        return sent

    def test_all_layers_pass_unchanged(self) -> None:
        f = TemporalFilter()
        self.assertEqual(self.run_frames(f, range(12)), [1000 + n for n in range(12)])
        self.assertFalse(f.active)

    def test_half_and_quarter_rate_with_consecutive_picture_ids(self) -> None:
        for target, rate in ((1, 2), (0, 4)):
            f = TemporalFilter()
            f.target = target
            sent = self.run_frames(f, range(40))
            self.assertEqual(len(sent), 40 // rate)
            self.assertEqual(sent, list(range(1000, 1000 + len(sent))), "no gaps in picture IDs")
            self.assertEqual(f.frames_dropped, 40 - 40 // rate)

    def test_every_packet_of_a_frame_gets_the_same_decision(self) -> None:
        f = TemporalFilter()
        f.target = 0
        for n in range(8):
            d = vp8_descriptor(frame(n, 0, PATTERN[n % 4]))
            assert d is not None
            first = f.forward(n * 3000, n == 0, d)
            for _ in range(3):
                self.assertEqual(f.forward(n * 3000, False, d), first)
            self.assertEqual(first, PATTERN[n % 4] == 0)

    def test_going_down_is_immediate_going_up_waits_for_a_layer_sync_frame(self) -> None:
        f = TemporalFilter()
        f.target = 0
        self.run_frames(f, range(8))
        self.assertEqual(f.current, 0)
        f.target = 2
        # frame 8 is TL0: still TL0 only; frame 9 (TL2, Y) may go up to 2 at once
        d8 = vp8_descriptor(frame(8, 2, 0))
        assert d8 is not None
        self.assertTrue(f.forward(8 * 3000, False, d8))
        self.assertEqual(f.current, 0)
        d_no_sync = vp8_descriptor(frame(9, 2, 2, sync=False))
        assert d_no_sync is not None
        self.assertFalse(f.forward(9 * 3000, False, d_no_sync), "TL2 without Y must wait")
        d_sync = vp8_descriptor(frame(10, 2, 1, sync=True))
        assert d_sync is not None
        self.assertTrue(f.forward(10 * 3000, False, d_sync))
        self.assertEqual(f.current, 1)
        f.target = 0
        d11 = vp8_descriptor(frame(11, 2, 2, sync=True))
        assert d11 is not None
        self.assertFalse(f.forward(11 * 3000, False, d11), "going down at the next frame")
        self.assertEqual(f.current, 0)

    def test_a_keyframe_switches_to_the_target_at_once(self) -> None:
        f = TemporalFilter()
        f.target = 0
        self.run_frames(f, range(4))
        f.target = 2
        d = vp8_descriptor(frame(4, 1, 2))  # no Y, but a keyframe
        assert d is not None
        self.assertTrue(f.forward(4 * 3000, True, d))
        self.assertEqual(f.current, 2)

    def test_after_a_restart_the_ids_continue_from_the_last_sent(self) -> None:
        f = TemporalFilter()
        sent = self.run_frames(f, range(4))
        f.restart()  # paused, then resumed at a keyframe far later
        payload = frame(5000, 90, 0)
        d = vp8_descriptor(payload)
        assert d is not None
        self.assertTrue(f.forward(999_000, True, d))
        out = vp8_descriptor(f.rewrite(payload, d))
        assert out is not None
        self.assertEqual(out.picture_id, sent[-1] + 1)
        self.assertEqual(out.tl0picidx, 0 + 1)  # frames 0..3 carried TL0PICIDX 0

    def test_a_stream_without_layers_passes_whole_until_ids_are_shifted(self) -> None:
        f = TemporalFilter()
        plain = vp8_descriptor(descriptor_bytes(tid=None, tl0=None) + VP8_DELTA)
        layered = vp8_descriptor(frame(1000, 0, 0))
        assert plain is not None and layered is not None
        self.assertTrue(f.passes_whole(plain))
        self.assertFalse(f.passes_whole(layered))  # a T bit: the frame is decided by the filter
        self.assertFalse(f.passes_whole(None))  # malformed: the filter drops it
        self.run_frames(f, range(4))
        f.restart()  # resumed after a pause: picture IDs continue from the last sent
        self.assertFalse(f.passes_whole(plain))

    def test_picture_ids_wrap(self) -> None:
        f = TemporalFilter()
        f.target = 0
        sent = []
        for n in range(16):
            payload = frame(32760 + n, n // 4, PATTERN[n % 4])
            d = vp8_descriptor(payload)
            assert d is not None
            if f.forward(n * 3000, False, d):
                out = vp8_descriptor(f.rewrite(payload, d))
                assert out is not None
                sent.append(out.picture_id)
        self.assertEqual(sent, [32760, 32761, 32762, 32763])


class LinkAdapterTests(SimpleTestCase):
    config = AdaptConfig(
        down_loss=0.08, pause_loss=0.2, up_loss=0.02, down_interval=1.5, clean_period=5, probe_period=4
    )

    def test_steps_down_fast_one_level_per_interval(self) -> None:
        a = LinkAdapter(self.config)
        self.assertEqual(a.report(0.0, 0.10), 2)
        self.assertIsNone(a.report(0.5, 0.30), "within the down interval")
        self.assertEqual(a.report(1.6, 0.10), 1)
        self.assertIsNone(a.report(3.2, 0.10), "TL0 only: this loss is not heavy enough to pause")
        self.assertIsNone(a.report(3.3, 0.25), "one heavy report is not enough")
        self.assertEqual(a.report(4.8, 0.25), PAUSED, "heavy loss for the down interval")
        self.assertIsNone(a.report(5.0, 0.9), "already paused")
        self.assertEqual((a.steps_down, a.pauses), (3, 1))

    def test_a_single_burst_at_tl0_does_not_pause(self) -> None:
        a = LinkAdapter(self.config)
        for t in (0.0, 1.6):
            a.report(t, 0.3)
        self.assertEqual(a.level, 1)
        self.assertIsNone(a.report(4.0, 0.5))
        self.assertIsNone(a.report(4.5, 0.0), "a clean video report between")
        self.assertIsNone(a.report(6.0, 0.5))
        self.assertEqual(a.level, 1)
        self.assertIsNone(a.report(6.5, 0.0, video=False), "audio got through: the span goes on")
        self.assertEqual(a.report(7.5, 0.5), PAUSED)

    def test_moderate_loss_holds_the_level(self) -> None:
        a = LinkAdapter(self.config)
        a.report(0.0, 0.10)
        for t in range(1, 30):
            self.assertIsNone(a.report(float(t), 0.04))
        self.assertEqual(a.level, 2)

    def test_steps_up_slowly_after_a_clean_period(self) -> None:
        a = LinkAdapter(self.config)
        a.report(0.0, 0.5)
        a.report(2.0, 0.5)
        self.assertEqual(a.level, 1)
        levels = [a.report(3.0 + t, 0.0) for t in range(0, 12)]
        self.assertEqual([x for x in levels if x is not None], [2, 3])
        self.assertEqual(levels.index(2), 5, "one clean period (5 s) before the first step up")
        self.assertEqual(a.level, FULL)

    def test_a_lossy_report_restarts_the_clean_period(self) -> None:
        a = LinkAdapter(self.config)
        a.report(0.0, 0.5)
        for t in (1, 2, 3, 4):
            a.report(float(t), 0.0)
        a.report(4.5, 0.05)  # not clean
        self.assertIsNone(a.report(6.0, 0.0))
        self.assertIsNone(a.report(10.0, 0.0))
        self.assertEqual(a.report(11.0, 0.0), FULL)

    def test_paused_probes_after_clean_audio_and_backs_off_when_the_probe_fails(self) -> None:
        a = LinkAdapter(self.config)
        for t in (0.0, 2.0, 4.0, 5.5):
            a.report(t, 0.5)
        self.assertEqual(a.level, PAUSED)
        self.assertIsNone(a.report(6.0, 0.0))
        self.assertEqual(a.report(10.0, 0.0), 1, "probe at TL0 after 4 s clean")
        self.assertIsNone(a.report(10.5, 0.5))
        self.assertEqual(a.report(12.0, 0.5), PAUSED, "probe failed")
        self.assertIsNone(a.report(13.0, 0.0))
        self.assertIsNone(a.report(17.0, 0.0), "the probe period doubled to 8 s")
        self.assertEqual(a.report(21.0, 0.0), 1)
        self.assertEqual(a.probes, 2)

    def test_a_failed_step_up_doubles_the_wait_for_the_next(self) -> None:
        a = LinkAdapter(self.config)
        self.assertEqual(a.report(0.0, 0.5), 2)
        self.assertIsNone(a.report(0.5, 0.0))
        self.assertEqual(a.report(5.5, 0.0), FULL, "up after 5 s clean")
        self.assertEqual(a.report(6.5, 0.3), 2, "full rate did not fit")
        self.assertIsNone(a.report(7.0, 0.0))
        self.assertIsNone(a.report(12.0, 0.0), "the wait is 10 s now")
        self.assertEqual(a.report(17.0, 0.0), FULL)
        self.assertIsNone(a.report(22.0, 0.0), "held for a clean period: base waits again")
        self.assertEqual(a.report(23.0, 0.3), 2)
        self.assertIsNone(a.report(23.5, 0.0))
        self.assertEqual(a.report(28.5, 0.0), FULL, "5 s")

    def test_remb_is_kept(self) -> None:
        a = LinkAdapter()
        a.remb(250_000)
        self.assertEqual(a.remb_bps, 250_000)
