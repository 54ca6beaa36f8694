"""The room page in a real browser: what assistive technology gets, and no test hooks in production.

Captions are injected with the test hook (their real path, microphone to transcriber, has its own
test in transcripts/tests/test_browser_captions.py); the roster changes come from a real
participant's controls.
"""

from __future__ import annotations

from django.test import override_settings

from conference.testing.browser import BrowserTestCase, Person

# Marks the focused element, so the check after a change proves it is the same node (not a new
# button with the same name).
JS_MARK_FOCUS = (
    "() => { document.activeElement.__focusMark = true; return document.activeElement.textContent; }"
)
JS_FOCUS_KEPT = (
    "() => document.activeElement.__focusMark === true ? document.activeElement.textContent : null"
)

# The text of every live region on the page (aria-live, or a role that implies it).
JS_LIVE_TEXT = """
() => [...document.querySelectorAll('[aria-live], [role="log"], [role="status"], [role="alert"]')]
  .filter((n) => n.getAttribute("aria-live") !== "off")
  .map((n) => n.textContent).join(" | ")
"""


class RosterFocusTestCase(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        # Alice created the room, so she hosts (`moderator`: `host` is the live server's).
        self.moderator = self.signed_in(self.alice)
        self.member = self.signed_in(self.bob)
        self.enter(self.moderator)
        self.enter(self.member)
        self.bob_row = self.moderator.page.locator("#participants li", has_text="Bob")
        self.bob_row.wait_for()

    def focus_host_button(self, name: str) -> None:
        self.moderator.page.get_by_role("button", name=name, exact=True).focus()
        self.assertEqual(self.moderator.page.evaluate(JS_MARK_FOCUS), name)

    def assert_focus_kept(self, name: str) -> None:
        self.assertEqual(self.moderator.page.evaluate(JS_FOCUS_KEPT), name, self.debug_dump())

    def test_focus_stays_on_mute_when_that_participant_turns_the_camera_off(self) -> None:
        self.focus_host_button("Mute Bob")
        self.member.page.get_by_role("button", name="Turn camera off").click()
        self.bob_row.get_by_text("camera off").wait_for()
        self.assert_focus_kept("Mute Bob")

    def test_focus_stays_on_remove_when_that_participant_mutes(self) -> None:
        self.focus_host_button("Remove Bob")
        self.member.page.get_by_role("button", name="Mute microphone").click()
        self.bob_row.get_by_text("microphone off").wait_for()
        self.assert_focus_kept("Remove Bob")
        self.assertTrue(self.moderator.page.get_by_role("button", name="Mute Bob", exact=True).is_disabled())


class CaptionAnnouncementTestCase(BrowserTestCase):
    start_sfu = False  # captions are injected; no media needed

    def caption(self, person: Person, text: str, *, final: bool) -> None:
        person.page.evaluate(
            """([text, final]) => window.__meet.receive({type: "caption", participant: 999,
                 speaker: "Alice", text, final, utterance: "u1", start: 0, end: 1})""",
            [text, final],
        )

    def test_interim_caption_is_shown_but_only_the_final_one_is_announced(self) -> None:
        bob = self.signed_in(self.bob)
        self.enter(bob)
        band = bob.page.locator("#captions")

        self.caption(bob, "the meeting starts at", final=False)
        band.get_by_text("the meeting starts at").wait_for()
        self.assertNotIn("the meeting starts at", bob.page.evaluate(JS_LIVE_TEXT))

        self.caption(bob, "The meeting starts at ten.", final=True)
        band.get_by_text("The meeting starts at ten.").wait_for()
        announced = bob.page.get_by_role("log", name="Captions")
        self.assertEqual(announced.get_attribute("aria-live"), "polite")
        self.assertEqual(announced.text_content(), "Alice: The meeting starts at ten.")
        self.assertNotIn("the meeting starts at", bob.page.evaluate(JS_LIVE_TEXT))  # said once, as final


@override_settings(CLIENT_TEST_HOOKS=False)  # as in production
class ProductionPageTestCase(BrowserTestCase):
    start_sfu = False

    def test_production_page_does_not_define_window_meet(self) -> None:
        bob = self.signed_in(self.bob)
        self.open_room(bob)
        bob.page.get_by_role("button", name="Join", exact=True).click()
        bob.page.get_by_role("button", name="Leave").wait_for()  # in the meeting
        bob.page.locator("#alert", has_text="Chat still works").wait_for()  # the server's messages arrived
        self.assertEqual(bob.page.evaluate("() => typeof window.__meet"), "undefined")
