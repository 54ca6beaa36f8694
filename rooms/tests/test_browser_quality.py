"""Connection quality from getStats, and the reconnecting state, in real browsers."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase

# The page's own classifier (static/js/quality.js), imported next to room.js.
JS_CLASSIFY = """
async (sample) => {
  const src = document.querySelector('script[type="module"]').src;
  const { classify } = await import(new URL("quality.js", src));
  return classify(sample);
}
"""


class QualityTestCase(BrowserTestCase):
    def test_tiles_get_a_quality_from_getstats_and_a_poor_one_says_why(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(alice, "Bob")
        bob_id = bob.page.evaluate("() => window.__meet.self.id")
        # Measured from getStats: Bob's frames and losses, our round-trip time. (Whether it is
        # "good" depends on how loaded the machine is: the verdict and what shows must agree.)
        alice.page.wait_for_function(
            "(id) => { const q = window.__meet.quality.latest[id];"
            " return q && q.fps > 0 && typeof q.loss === 'number' && q.rtt > 0; }",
            arg=bob_id,
            timeout=15_000,
        )
        # One read of both (a sample every 2 s changes them together).
        shown, on_tile, badge = alice.page.evaluate(
            "(id) => { const t = document.querySelector('video[data-participant=\"Bob\"]').closest('.tile');"
            " const b = t.querySelector('.badge-quality');"
            " return [window.__meet.quality.latest[id].shown, t.dataset.quality, !b.hidden]; }",
            bob_id,
        )
        self.assertEqual(on_tile, shown)
        self.assertEqual(badge, shown == "poor")
        alice.page.wait_for_function("() => window.__meet.quality.latest.self?.rtt > 0", timeout=15_000)
        self_shown, note = alice.page.evaluate(
            "() => [window.__meet.quality.latest.self.shown, !document.getElementById('self-quality').hidden]"
        )
        self.assertEqual(note, self_shown == "poor")

        poor = alice.page.evaluate(JS_CLASSIFY, {"loss": 0.12, "rtt": 0.05, "fps": 24, "videoOn": True})
        self.assertEqual(poor, {"quality": "poor", "words": "Poor connection: 12 % packets lost"})
        slow = alice.page.evaluate(JS_CLASSIFY, {"loss": 0, "rtt": 0.6, "fps": 3, "videoOn": True})
        self.assertEqual(slow["words"], "Poor connection: 600 ms delay, 3 frames per second")
        self.assertEqual(alice.page.evaluate(JS_CLASSIFY, {"fps": 0, "videoOn": False})["quality"], "good")

    def test_reconnecting_keeps_the_page_and_says_so(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(bob, "Alice")
        bob.page.evaluate("() => window.__meet.signaling.ws.close()")  # as if the network dropped
        note = bob.page.get_by_text("Reconnecting…", exact=True)
        note.wait_for()
        # Still the meeting as it was: Alice's tile and name, the chat box.
        self.assertEqual(self.tile(bob, "Alice").count(), 1)
        self.assertIn("Alice", bob.page.locator("#participants").inner_text())
        note.wait_for(state="hidden", timeout=15_000)
        self.wait_video_playing(bob, "Alice")
