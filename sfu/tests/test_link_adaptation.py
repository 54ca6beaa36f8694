"""Link adaptation with real aiortc peers: a subscriber behind a rate-limited veth link (tbf in a
network namespace this test creates) gets fewer VP8 temporal layers; under heavy loss its video
pauses and comes back once the link recovers; its audio goes on at full rate throughout.

The publisher sends real L1T3 VP8 (conference.testing.layers) and audio from this process, on
the SFU side of the link; the subscriber decodes in its own process on the other side.
Frame rates are counted as delivered RTP frames (marker packets): aiortc's receiver holds a
frame behind any packet it never gets for up to 512 packets, so its decoded rate says more
about its jitter buffer than about the link (see docs/sfu.md).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable

from django.test import SimpleTestCase

from conference import protocol
from conference.testing.layers import layer_check, layered_vp8_loop
from conference.testing.linkpeer import ShapedMeeting
from conference.testing.netns import VethLink
from conference.testing.peers import wait_for

Scenario = Callable[[ShapedMeeting, VethLink], Awaitable[None]]


async def rates(m: ShapedMeeting, seconds: float) -> tuple[float, float]:
    """(video frames/s, audio packets/s) the subscriber received over the next ``seconds``."""
    sub = m.subscriber
    assert sub is not None
    await asyncio.sleep(0.3)  # its counts arrive every 0.25 s
    start, audio = time.time() - 0.3, sub.rtp_audio
    await asyncio.sleep(seconds)
    video = sum(1 for t in sub.rtp_video_at if start <= t < start + seconds)
    return video / seconds, (sub.rtp_audio - audio) / seconds


def holes(stream: object) -> int:
    """Sequence numbers the SFU skipped on this stream (must stay 0: drops take no number)."""
    return (stream.next_seq - stream.packets_sent - stream.first_free) & 0xFFFF  # type: ignore[attr-defined]


class LinkAdaptationTests(SimpleTestCase):
    async def meeting(self, scenario: Scenario) -> None:
        name = f"adt{os.getpid() % 10000}"
        with VethLink(name) as link, tempfile.TemporaryDirectory() as tmp:
            with link.inside_sfu_side():
                m = ShapedMeeting(link, os.path.join(tmp, "peer.sock"))
                try:
                    await m.start()
                    sub = m.subscriber
                    assert sub is not None
                    await wait_for(lambda: len(sub.rtp_video_at) >= 30, 30, "video at the subscriber")
                    video, audio = await rates(m, 2)
                    self.assertGreater(video, 24, "full rate before any shaping")
                    self.assertGreater(audio, 40, "audio before any shaping")
                    (stream,) = m.video_streams()
                    stream.first_free = (stream.next_seq - stream.packets_sent) & 0xFFFF
                    await scenario(m, link)
                    self.assertEqual(holes(stream), 0, "dropped packets took sequence numbers")
                    for slot in m.harness.worker.participants[m.SUBSCRIBER].slots:
                        if slot.kind == "audio":
                            self.assertIsNone(slot.stream.temporal)
                            self.assertFalse(slot.stream.link_paused or slot.stream.paused)
                finally:
                    await m.close()

    def test_the_publishers_layers_are_real(self) -> None:
        loop = layered_vp8_loop()
        self.assertEqual(layer_check(loop, 0), (16, 16), "TL0 alone decodes to the same pictures")
        self.assertEqual(layer_check(loop, 1), (32, 32), "TL0+TL1 alone decode to the same pictures")

    async def test_a_rate_limited_link_gets_fewer_temporal_layers_and_audio_goes_on(self) -> None:
        async def scenario(m: ShapedMeeting, link: VethLink) -> None:
            (stream,) = m.video_streams()
            adapter = m.link_adapter()
            decoded = m.subscriber.count(m.PUBLISHER, "video")  # type: ignore[union-attr]
            link.shape(450)  # full rate is ~650 kbit/s, TL0+TL1 ~360, TL0 ~250 (with audio)
            await wait_for(lambda: adapter.level <= 2, 15, "a step down")
            await asyncio.sleep(4)  # settle
            ups = adapter.steps_up
            video, audio = await rates(m, 4)
            self.assertLessEqual(video, 20, f"{video:.1f} fps: no layer dropped (level {adapter.level})")
            self.assertGreater(video, 4, f"{video:.1f} fps")
            self.assertGreater(audio, 40, f"audio {audio:.1f} packets/s")
            self.assertLessEqual(adapter.steps_up - ups, 1)
            self.assertGreater(stream.temporal.frames_dropped, 20)
            self.assertFalse(stream.link_paused)
            self.assertGreater(m.subscriber.count(m.PUBLISHER, "video"), decoded, "nothing decoded")  # type: ignore[union-attr]
            self.assertEqual(m.link_replies(), [], "the page is told only about pauses")

        await self.meeting(scenario)

    async def test_heavy_loss_pauses_video_and_it_resumes_when_the_link_recovers(self) -> None:
        async def scenario(m: ShapedMeeting, link: VethLink) -> None:
            (stream,) = m.video_streams()
            adapter = m.link_adapter()
            link.shape(60, queue_ms=100)  # audio fits, not even TL0 does
            await wait_for(lambda: stream.link_paused, 20, "video paused for the link")
            source = m.harness.worker.participants[m.PUBLISHER].sources["video"]
            self.assertNotIn(stream, source.subscribers)
            # Visibility and the link are two reasons: showing the tile again does not resume it
            # (done at once: a probe comes after 4 s of clean reports).
            for visible in ([], [m.PUBLISHER]):
                await m.harness.worker.call(
                    dict(protocol.sfu_set_visible(participant=m.SUBSCRIBER, visible=visible))
                )
                await wait_for(lambda v=visible: stream.paused == (not v), 5, "the visible list applied")
                self.assertNotIn(stream, source.subscribers)
                self.assertTrue(stream.link_paused)
            link.clear()
            paused = [r for r in m.link_replies() if r["paused"]]
            self.assertEqual(paused, [protocol.sfu_link(participant=m.SUBSCRIBER, paused=True, layers=0)])
            page = protocol.RELAY["sfu.link"](paused[0], m.SUBSCRIBER)
            self.assertEqual(
                page, {"type": "link-quality", "paused": True, "message": "Video paused: poor connection"}
            )
            video, audio = await rates(m, 2)
            self.assertLessEqual(video, 1.0, "video stopped")
            self.assertGreater(audio, 40, f"audio {audio:.1f} packets/s while video is paused")
            await wait_for(lambda: not stream.link_paused, 20, "the probe after the link recovered")
            sub = m.subscriber
            assert sub is not None
            resumed = len(sub.rtp_video_at)
            await wait_for(lambda: len(sub.rtp_video_at) >= resumed + 5, 5, "video again")
            self.assertEqual(
                m.link_replies()[-1], protocol.sfu_link(participant=m.SUBSCRIBER, paused=False, layers=1)
            )
            self.assertEqual(adapter.pauses, 1)
            self.assertFalse(stream.waiting, "resumed at a keyframe")

        await self.meeting(scenario)
