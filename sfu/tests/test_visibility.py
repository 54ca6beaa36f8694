"""sfu.set_visible: a subscriber gets video only of the publishers its page shows (audio of
everyone), without renegotiating; a video shown again starts at a keyframe within a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from django.test import SimpleTestCase

from conference import protocol
from conference.testing.peers import BrowserPeer, SfuHarness, wait_for

SHOWN, HIDDEN, VIEWER = 1, 2, 3


class VisibilityTests(SimpleTestCase):
    async def meeting(self, h: SfuHarness) -> BrowserPeer:
        await h.join(SHOWN)
        await h.join(HIDDEN)
        viewer = await h.join(VIEWER, publish=False, decode=False)
        await wait_for(
            lambda: viewer.frames[(SHOWN, "video")] >= 5 and viewer.frames[(HIDDEN, "video")] >= 5,
            20,
            "both videos at the viewer",
        )
        return viewer

    async def show(self, h: SfuHarness, *publishers: int) -> None:
        await h.worker.call(dict(protocol.sfu_set_visible(participant=VIEWER, visible=list(publishers))))

    def paused(self, h: SfuHarness) -> dict[tuple[int | None, str], bool]:
        return {(s.publisher, s.kind): s.stream.paused for s in h.worker.participants[VIEWER].slots}

    async def test_a_hidden_video_stops_while_its_audio_and_the_shown_video_go_on(self) -> None:
        h = SfuHarness()
        try:
            viewer = await self.meeting(h)
            offers = viewer.offers
            await self.show(h, SHOWN)
            self.assertEqual(
                self.paused(h),
                {
                    (SHOWN, "audio"): False,
                    (SHOWN, "video"): False,
                    (SHOWN, "screen"): False,
                    (HIDDEN, "audio"): False,
                    (HIDDEN, "video"): True,
                    (HIDDEN, "screen"): True,
                },
            )
            await asyncio.sleep(0.3)  # what was in flight arrives
            hidden, shown, audio = (
                viewer.frames[(HIDDEN, "video")],
                viewer.frames[(SHOWN, "video")],
                viewer.frames[(HIDDEN, "audio")],
            )
            await wait_for(lambda: viewer.frames[(SHOWN, "video")] >= shown + 20, 10, "the shown video")
            self.assertLessEqual(viewer.frames[(HIDDEN, "video")] - hidden, 1)
            self.assertGreater(viewer.frames[(HIDDEN, "audio")] - audio, 20)
            self.assertEqual(viewer.offers, offers, "no renegotiation")
            source = h.worker.participants[HIDDEN].sources["video"]
            self.assertNotIn(h.worker.participants[VIEWER].slots[4].stream, source.subscribers)
        finally:
            await h.close()

    async def test_a_video_shown_again_resumes_at_a_keyframe_within_a_second(self) -> None:
        h = SfuHarness()
        try:
            viewer = await self.meeting(h)
            await self.show(h, SHOWN)
            await asyncio.sleep(1.0)
            offers, hidden = viewer.offers, viewer.frames[(HIDDEN, "video")]
            keyframes = h.peers[HIDDEN].keyframes_requested
            started = time.monotonic()
            await self.show(h, SHOWN, HIDDEN)
            # Decoded frames: the first forwarded packet began a keyframe (the stream waits for one).
            await wait_for(lambda: viewer.frames[(HIDDEN, "video")] >= hidden + 3, 5, "the video shown again")
            self.assertLess(time.monotonic() - started, 1.0 + 2 / 30)
            self.assertGreater(h.peers[HIDDEN].keyframes_requested, keyframes)
            self.assertEqual(viewer.offers, offers, "no renegotiation")
            self.assertFalse(any(self.paused(h).values()))
        finally:
            await h.close()

    async def test_a_newcomer_is_forwarded_until_the_next_list_decides(self) -> None:
        h = SfuHarness()
        try:
            viewer = await self.meeting(h)
            await self.show(h, SHOWN)
            late = 4
            await h.join(late)  # after the viewer's list: its page has not seen this tile yet
            await wait_for(lambda: viewer.frames[(late, "video")] >= 3, 10, "the newcomer's first frames")
            await self.show(h, SHOWN)  # the page's next list leaves it out
            self.assertTrue(self.paused(h)[(late, "video")])
            self.assertTrue(self.paused(h)[(HIDDEN, "video")])
            # What was already forwarded may still be in the viewer's decoder on a loaded machine:
            # wait (bounded) for its count to stand still, then no more video may come.
            frames = await settled(lambda: viewer.frames[(late, "video")])
            audio = viewer.frames[(late, "audio")]
            await wait_for(lambda: viewer.frames[(late, "audio")] >= audio + 25, 10, "the newcomer's audio")
            self.assertLessEqual(viewer.frames[(late, "video")] - frames, 1)
            await self.show(h, SHOWN, late)
            await wait_for(lambda: viewer.frames[(late, "video")] >= frames + 3, 5, "its video once shown")
        finally:
            await h.close()

    async def test_a_bad_visible_list_is_refused_and_changes_nothing(self) -> None:
        h = SfuHarness()
        try:
            viewer = await self.meeting(h)
            for bad in ("1", list(range(1000)), None):
                await h.worker.call({"type": "sfu.set_visible", "participant": VIEWER, "visible": bad})
            await wait_for(lambda: len(viewer.errors) >= 3, 5, "the refusals")
            self.assertEqual([e["code"] for e in viewer.errors], ["invalid"] * 3)
            self.assertFalse(any(self.paused(h).values()))
            await self.show(h, SHOWN, "x", True)  # type: ignore[arg-type]  # non-ids are ignored
            self.assertTrue(self.paused(h)[(HIDDEN, "video")])
        finally:
            await h.close()


async def settled(count: Callable[[], int], quiet: float = 0.5, bound: float = 3.0) -> int:
    """``count()`` once it has not changed for ``quiet`` seconds, or after ``bound`` seconds."""
    deadline = time.monotonic() + bound
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        await asyncio.sleep(0.05)
        if count() != last:
            last, since = count(), time.monotonic()
    return last
