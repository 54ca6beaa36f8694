"""Late joiner: how soon someone who joins a running meeting sees video.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/late_join.py [--trials N] [--skip-browser]

1. SFU alone (aiortc peers on 127.0.0.1 and an in-process SfuWorker, as in sfu/tests): from the late
   subscriber's connection being up to its first decoded frame of the publisher's video
   (target: under 1.2 s, the keyframe request answered at once).
2. In browsers (the browser-test harness: Daphne, runsfu, headless Chromium; a test database made
   for the run): two members meet, a guest in a Chromium of its own joins; from the guest's Join
   click to its first remote video frame, measured in the page (target: under 2 s).

The tests check that these things happen within generous bounds; this script prints how fast.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
os.environ.setdefault("REDIS_PREFIX", f"bench-late-join-{os.getpid()}")

SFU_TARGET = 1.2
BROWSER_TARGET = 2.0


def report(what: str, values: list[float], target: float) -> None:
    if not values:
        print(f"{what}: no measurement")
        return
    print(
        f"{what} ({len(values)} trials): median {statistics.median(values):.2f} s, "
        f"max {max(values):.2f} s (target < {target:.1f} s)"
    )


async def sfu_trial() -> float:
    from conference.testing.peers import SfuHarness, wait_for

    h = SfuHarness()
    try:
        await h.join(1)
        for sub in [await h.join(p, publish=False) for p in (2, 3)]:
            await wait_for(lambda s=sub: s.frames[(1, "video")] >= 10, 15, "video at a subscriber")
        late = await h.join(4, publish=False)
        await wait_for(lambda: late.frames[(1, "video")] >= 1, 10, "video at the late joiner")
        assert late.subscribe_connected_at is not None
        return late.first_frame_at[(1, "video")] - late.subscribe_connected_at
    finally:
        await h.close()


def sfu_figures(trials: int) -> None:
    values = [asyncio.run(sfu_trial()) for _ in range(trials)]
    report("SFU: late subscriber connected -> first video frame", values, SFU_TARGET)


def browser_figures(trials: int) -> None:
    from django.conf import settings
    from django.test.utils import get_runner

    from conference.testing.browser import BrowserTestCase

    values: list[float] = []
    timelines: list[list[str]] = []

    class LateJoin(BrowserTestCase):
        def test_late_joiner(self) -> None:
            alice = self.signed_in(self.alice)
            bob = self.signed_in(self.bob)
            guest = self.new_person("Gus Guest", own_browser=True)  # as on a machine of its own
            for person in (alice, bob, guest):
                self.open_room(person)
            self.join(alice)
            self.join(bob)
            self.wait_video_playing(alice, "Bob")
            self.wait_video_playing(bob, "Alice")
            self.join(guest)
            self.wait_video_playing(guest, "Alice")
            self.wait_video_playing(guest, "Bob")
            values.append(self.time_to_first_frame(guest))
            timelines.append(self.timeline(guest))

    runner = get_runner(settings)(verbosity=0, interactive=False)
    runner.setup_test_environment()
    old_config = runner.setup_databases()
    try:
        result = runner.run_suite(unittest.TestSuite([LateJoin("test_late_joiner") for _ in range(trials)]))
    finally:
        runner.teardown_databases(old_config)
        runner.teardown_test_environment()
    if timelines:
        print(f"last late joiner's timeline: {timelines[-1]}")
    report("browsers: guest's Join click -> first remote video frame", values, BROWSER_TARGET)
    if not result.wasSuccessful():
        raise SystemExit("a browser trial failed (see above)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument(
        "--skip-browser", action="store_true", help="only the SFU figure (no database needed)"
    )
    args = parser.parse_args()
    import django

    django.setup()
    sfu_figures(args.trials)
    if not args.skip_browser:
        browser_figures(args.trials)


if __name__ == "__main__":
    main()
