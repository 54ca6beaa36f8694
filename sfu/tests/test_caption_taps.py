"""The SFU feeds each captioned speaker's audio to a tap, and flushes after the last one left."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase

from conference import protocol
from conference.testing.peers import SfuHarness, wait_for


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
            self.assertEqual(context.meeting, SfuHarness.MEETING)
            taps.append(FakeTap(finals=2))
            return taps[-1]

        h = SfuHarness(audio_tap_factory=factory)
        try:
            await h.join(1, captions=True, video=False)
            await wait_for(lambda: taps and taps[0].fed >= 20, 15, "audio fed to the tap")
            await h.worker.handle({"type": "sfu.leave", "participant": 1})
            flushes = [m for c, m in h.sent if c == protocol.TRANSCRIBE_CHANNEL]
            self.assertEqual(
                flushes, [{"type": "transcribe.flush", "meeting": SfuHarness.MEETING, "finals": 2}]
            )
        finally:
            await h.close()

    async def test_flush_without_factory(self) -> None:
        h = SfuHarness()
        try:
            await h.join(1, publish=False, captions=True)
            await h.worker.handle({"type": "sfu.leave", "participant": 1})
            flushes = [m for c, m in h.sent if c == protocol.TRANSCRIBE_CHANNEL]
            self.assertEqual(
                flushes, [{"type": "transcribe.flush", "meeting": SfuHarness.MEETING, "finals": 0}]
            )
        finally:
            await h.close()
