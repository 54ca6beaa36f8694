"""After people join, publish and leave, the worker is back where it was.

The worker is a real ``runsfu`` process and the peers live in the test process
(conference.testing.remote): in one shared loop the peers starved the SFU and each other.
"""

from __future__ import annotations

import time

from django.test import SimpleTestCase

from conference.testing import churn, reset_channel_layers
from conference.testing.remote import RemoteSfu, sfu_process

ROUNDS = 30
WARM_ROUNDS = 15
TIME_LIMIT = 170  # seconds for the whole test, setup included (a loaded 2-core machine)


class ChurnTests(SimpleTestCase):
    def setUp(self) -> None:
        reset_channel_layers()

    async def test_thirty_rounds_of_three_leave_nothing_behind(self) -> None:
        started = time.monotonic()
        with sfu_process("churn") as (proc, worker_id):
            remote = RemoteSfu(worker_id)
            await remote.start()
            try:
                await churn.stayers(remote)
                before = await churn.snapshot(remote, 1)
                # The first rounds leave the stayers' subscribe PCs a pool of free slots (parked,
                # no tasks) that every later round reuses, and grow the worker's heap to its
                # working size (~25 MB in the first ~15 rounds, then ~0.1 MB a round: allocator
                # arenas, not objects; bench/sfu_hostile.py prints 100 rounds).
                for r in range(WARM_ROUNDS):
                    await churn.churn_round(remote, 1000 + 10 * r)
                warm = await churn.snapshot(remote, 1)
                for r in range(WARM_ROUNDS, ROUNDS):
                    await churn.churn_round(remote, 1000 + 10 * r)
                after = await churn.snapshot(remote, 1)
                lost = [p.closed for p in remote.peers.values() if p.closed]
            finally:
                await remote.close()
        took = time.monotonic() - started
        print(
            f"\nchurn ({ROUNDS} rounds, {took:.0f} s)\nbefore: {before.line()}\n"
            f"warm:   {warm.line()} (after {WARM_ROUNDS} rounds)\nafter:  {after.line()}"
        )
        self.assertEqual(lost, [], "a stayer was dropped")
        self.assertEqual(after.transceivers, warm.transceivers)
        self.assertEqual(warm.transceivers, before.transceivers + 9)  # three free triples
        self.assertEqual(after.rtcp_tasks, before.rtcp_tasks)  # only the other stayer's slots
        self.assertLessEqual(after.tasks, before.tasks + 3)
        self.assertLessEqual(after.fds, before.fds + 3)
        # ~1-8 MB seen over these 15 rounds; transceivers left behind cost ~1 MB a round, and
        # their tasks and RTCP tasks are caught exactly above.
        self.assertLessEqual(after.rss_mb, warm.rss_mb + 12)
        self.assertEqual((after.participants, after.routes, after.closers), (2, 2, 0))
        self.assertLess(took, TIME_LIMIT)
