"""A worker's capacity in subscriber streams: counted from what it forwards, enforced on joins."""

from __future__ import annotations

from django.test import SimpleTestCase

from conference.testing.hostile import Harness, join_message
from conference.testing.peers import wait_for
from sfu.limits import Limits


class StreamCapacityTests(SimpleTestCase):
    async def test_a_worker_at_its_stream_capacity_refuses_joins_until_streams_stop(self) -> None:
        h = Harness(Limits(allow_private_candidates=True, max_streams_per_worker=2))
        try:
            await h.join(1, 1)
            self.assertEqual(h.worker.streams, 0)  # nobody receives yet
            sub = await h.join(2, 1, publish=False)
            await wait_for(
                lambda: sub.frames[(1, "video")] > 0 and sub.frames[(1, "audio")] > 0, 15, "media at 2"
            )
            # audio + camera to participant 2; the screen slot carries nothing and does not count
            self.assertEqual(h.worker.streams, 2)
            self.assertTrue(h.worker.full)
            await h.worker.call(join_message(3, 2))
            (error,) = h.errors(3)
            self.assertEqual(error["code"], "server-full")
            self.assertIn("still chat", error["message"])
            self.assertNotIn(3, h.worker.participants)
            self.assertNotIn(3, h.worker.routes)
            # Participant 2's page hides the camera: one stream less, room again.
            await h.worker.call({"type": "sfu.set_visible", "participant": 2, "visible": []})
            self.assertEqual(h.worker.streams, 1)
            self.assertFalse(h.worker.full)
            await h.worker.call(join_message(3, 2))
            self.assertIn(3, h.worker.participants)
        finally:
            await h.close()

    async def test_muted_and_paused_streams_are_not_counted(self) -> None:
        h = Harness(Limits(allow_private_candidates=True, max_streams_per_worker=0))
        try:
            await h.join(1, 1)
            sub = await h.join(2, 1, publish=False)
            await wait_for(lambda: sub.frames[(1, "video")] > 0, 15, "video at 2")
            await wait_for(lambda: h.worker.streams == 2, 5, "two streams")
            await h.worker.call({"type": "sfu.set_muted", "participant": 1, "kind": "audio", "muted": True})
            self.assertEqual(h.worker.streams, 1)
            self.assertFalse(h.worker.full)  # 0: no stream cap
        finally:
            await h.close()
