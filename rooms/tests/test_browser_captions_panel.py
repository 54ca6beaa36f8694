"""The captions' history during a meeting: every final line stays in a scrollable panel (the
band under the videos shows only the latest). Captions are injected with the test hook; their
real path has its own test (transcripts/tests/test_browser_captions.py)."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase


class CaptionsHistoryTestCase(BrowserTestCase):
    start_sfu = False

    def test_final_captions_stay_in_the_history_panel(self) -> None:
        bob = self.signed_in(self.bob)
        self.enter(bob)
        for i in range(8):
            bob.page.evaluate(
                """(i) => window.__meet.receive({type: "caption", participant: 999, speaker: "Alice",
                     text: `Line number ${i}.`, final: true, utterance: `u${i}`, start: i, end: i + 1})""",
                i,
            )
        history = bob.page.get_by_role("log", name="Captions")
        history.get_by_text("Line number 7.").wait_for()
        lines = history.locator(".caption-logged").all_inner_texts()
        self.assertEqual(lines, [f"Alice: Line number {i}." for i in range(8)])  # all of them, in order
        self.assertTrue(history.is_visible())
        self.assertLessEqual(bob.page.locator("#captions .caption").count(), 3)  # the band: the latest only
        link = bob.page.get_by_role("link", name="Meetings").last
        self.assertEqual(link.get_attribute("href"), "/meetings/")  # the whole transcript, afterwards
        bob.page.get_by_role("button", name="Captions", exact=True).click()  # captions off: no history
        history.wait_for(state="hidden")
