"""After people join, publish and leave, the worker is back where it was."""

from __future__ import annotations

from django.test import SimpleTestCase

from conference.testing.churn import churn_round, snapshot, stayers
from conference.testing.hostile import Harness

ROUNDS = 30


class ChurnTests(SimpleTestCase):
    async def test_thirty_rounds_of_three_leave_nothing_behind(self) -> None:
        h = Harness()
        try:
            await stayers(h)
            before = await snapshot(h, 1)
            await churn_round(h, 1000)
            # From here the stayers' subscribe PCs hold a pool of free slots (parked, no tasks)
            # that every later round reuses: their SDP stays as large as the most people present.
            warm = await snapshot(h, 1)
            for r in range(1, ROUNDS):
                await churn_round(h, 1000 + 10 * r)
            after = await snapshot(h, 1)
            print(
                f"\nchurn before: {before.line()}\nchurn warm:   {warm.line()}\nchurn after:  {after.line()}"
            )
            self.assertEqual(after.transceivers, warm.transceivers)
            self.assertLessEqual(warm.transceivers, before.transceivers + 9)  # three free triples
            self.assertEqual(after.rtcp_tasks, before.rtcp_tasks)  # only the other stayer's slots
            self.assertLessEqual(after.tasks, warm.tasks + 5)
            self.assertLessEqual(after.fds, before.fds + 5)
            self.assertLessEqual(after.rss_mb, warm.rss_mb + 20)
            self.assertEqual(h.worker.load, 2)
            self.assertEqual(h.worker.closers, 0)
            self.assertEqual(len(h.worker.routes), 2)
        finally:
            await h.close()
