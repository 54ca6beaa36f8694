"""sfu.set_muted: a muted publisher's audio stops reaching the others, and comes back on unmute."""

from __future__ import annotations

from django.test import SimpleTestCase

from conference.testing.peers import BrowserPeer, SfuHarness, wait_for


async def clock(peer: BrowserPeer, frames: int, what: str) -> None:
    """Until ``peer`` has received ``frames`` more audio frames (20 ms each) of publisher 5:
    a clock that runs with the media, for checking that publisher 1's audio did not arrive."""
    start = peer.frames[(5, "audio")]
    await wait_for(lambda: peer.frames[(5, "audio")] >= start + frames, 10, what)


class MuteTests(SimpleTestCase):
    async def muted_meeting(self, h: SfuHarness) -> BrowserPeer:
        """Publisher 1 has muted its microphone; publisher 5 (the clock) has not."""
        await h.join(1, video=False)
        await h.join(5, video=False)
        sub = await h.join(2, publish=False)
        await wait_for(lambda: sub.frames[(1, "audio")] >= 5, 15, "audio frames")
        await wait_for(lambda: sub.frames[(5, "audio")] >= 5, 15, "the clock's audio frames")
        await h.worker.handle({"type": "sfu.set_muted", "participant": 1, "kind": "audio", "muted": True})
        await clock(sub, 15, "the clock after the mute")  # 0.3 s: what was in flight has arrived
        return sub

    async def test_mute_stops_audio(self) -> None:
        h = SfuHarness()
        try:
            sub = await self.muted_meeting(h)
            muted_at = sub.frames[(1, "audio")]
            await clock(sub, 30, "the clock while muted")  # 0.6 s
            self.assertLessEqual(sub.frames[(1, "audio")] - muted_at, 2)
        finally:
            await h.close()

    async def test_unmute_resumes_audio(self) -> None:
        h = SfuHarness()
        try:
            sub = await self.muted_meeting(h)
            muted_at = sub.frames[(1, "audio")]
            await h.worker.handle(
                {"type": "sfu.set_muted", "participant": 1, "kind": "audio", "muted": False}
            )
            await wait_for(lambda: sub.frames[(1, "audio")] >= muted_at + 10, 5, "audio after unmute")
        finally:
            await h.close()
