"""sfu.leave: forwarding to and from the participant stops, the others renegotiate."""

from __future__ import annotations

from django.test import SimpleTestCase

from conference.testing.peers import BrowserPeer, SfuHarness, wait_for


async def clock(peer: BrowserPeer, publisher: int, frames: int, what: str) -> None:
    """Until ``peer`` has received ``frames`` more audio frames (20 ms each) of ``publisher``:
    a clock that runs with the media, for checking that some other media did not arrive."""
    start = peer.frames[(publisher, "audio")]
    await wait_for(lambda: peer.frames[(publisher, "audio")] >= start + frames, 10, what)


async def four_in_a_meeting(h: SfuHarness) -> list[BrowserPeer]:
    """A publisher (1) and three subscribers (2, 3, 4) that all receive its video."""
    peers = [await h.join(1)] + [await h.join(p, publish=False) for p in (2, 3, 4)]
    for sub in peers[1:]:
        await wait_for(lambda s=sub: s.frames[(1, "video")] >= 3, 15, "video at a subscriber")
    return peers


class LeaveTests(SimpleTestCase):
    async def test_leave_stops_forwarding_to_that_participant(self) -> None:
        h = SfuHarness()
        try:
            await four_in_a_meeting(h)
            source = h.worker.publisher_tracks(1)["video"]
            await h.worker.handle({"type": "sfu.leave", "participant": 3})
            self.assertEqual(h.worker.load, 3)
            sent_b = h.worker.subscriber_streams(3)
            self.assertEqual(sent_b, [])
            self.assertEqual(len(source.subscribers), 2)
        finally:
            await h.close()

    async def test_shutdown_closes_only_those_still_there(self) -> None:
        h = SfuHarness()
        try:
            await four_in_a_meeting(h)
            await h.worker.handle({"type": "sfu.leave", "participant": 3})
            await h.worker.handle({"type": "sfu.leave", "participant": 1})
        finally:
            await h.close()
        closed = [m for _, m in h.sent if m["type"] == "sfu.closed"]
        self.assertEqual(sorted(m["participant"] for m in closed), [2, 4])

    async def test_a_publishers_leave_stops_its_media_at_the_others(self) -> None:
        h = SfuHarness()
        try:
            await h.join(1)
            await h.join(5, video=False)  # another publisher, whose audio keeps coming: the clock
            sub_a = await h.join(2, publish=False)
            await wait_for(lambda: sub_a.frames[(1, "video")] >= 10, 15, "video frames")
            await wait_for(lambda: sub_a.frames[(5, "audio")] >= 10, 15, "the clock's audio frames")
            await h.worker.handle({"type": "sfu.leave", "participant": 1})
            before = sub_a.frames[(1, "video")]
            await clock(sub_a, 5, 25, "the clock after the leave")  # 0.5 s
            after = sub_a.frames[(1, "video")]
            await clock(sub_a, 5, 25, "the clock later")
            self.assertEqual(sub_a.frames[(1, "video")], after)
            self.assertLessEqual(after - before, 3)  # at most what was in flight
        finally:
            await h.close()

    async def test_a_publishers_leave_renegotiates_the_others(self) -> None:
        h = SfuHarness()
        try:
            _pub, sub_a, _sub_b, _late = await four_in_a_meeting(h)
            await h.worker.handle({"type": "sfu.leave", "participant": 3})
            await h.worker.handle({"type": "sfu.leave", "participant": 1})
            await wait_for(lambda: sub_a.offers >= 3, 5, "the renegotiation after the leave")
        finally:
            await h.close()

    async def test_leave_after_a_subscriber_closed_its_connections(self) -> None:
        """A tab closed without a leave must not break the leave of someone else."""
        h = SfuHarness()
        try:
            await h.join(1)
            gone = await h.join(2, publish=False)
            stays = await h.join(3, publish=False)
            await wait_for(lambda: stays.frames[(1, "video")] >= 3, 15, "video at the staying subscriber")
            # Participant 2's aiortc side is closed on the SFU (as when its ICE/DTLS died).
            await h.worker.participants[2].subscribe_pc.close()
            offers = stays.offers
            await h.worker.handle({"type": "sfu.leave", "participant": 1})
            errors = [m for _, m in h.sent if m["type"] == "sfu.error"]
            self.assertEqual(errors, [])
            await wait_for(lambda: stays.offers > offers, 5, "the renegotiation of the staying subscriber")
            self.assertIn(3, h.worker.participants)
            del gone
        finally:
            await h.close()
