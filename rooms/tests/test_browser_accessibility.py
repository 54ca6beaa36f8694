"""Accessibility of the rooms pages in a real browser: axe-core (vendored, see
conference/testing/vendor/README.md) finds no serious or critical violation on the home page
(rooms, create a room), the guest's name page, the lobby, a waiting room's lobby, the meeting
and its dialogs; every control of the meeting is reached with Tab and shows a focus ring."""

from __future__ import annotations

from pathlib import Path

from conference.testing.browser import BrowserTestCase, Person
from rooms.models import Room

AXE = Path(__file__).resolve().parents[2] / "conference" / "testing" / "vendor" / "axe.min.js"

JS_AXE = """
async () => {
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  });
  const violations = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
  const minor = result.violations.filter((v) => !violations.some((s) => s.includes(` ${v.id}:`))).map((v) => `${v.impact} ${v.id}`);
  return { violations, passed: result.passes.length, minor };
}
"""

# The focused element, whether a focus ring shows (an outline), and a name for it.
JS_FOCUSED = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return { id: e.id, text: (e.getAttribute("aria-label") || e.textContent || e.id || e.tagName).trim().slice(0, 60),
           ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 && s.opacity !== "0" };
}
"""

# Every visible, enabled control of the meeting (and the header above it).
JS_CONTROLS = """
() => [...document.querySelectorAll('.room-header button, #meeting button, #meeting input, #meeting select, #meeting [tabindex="0"]')]
  .filter((e) => !e.disabled && e.offsetParent !== null && !e.closest('[hidden]') && !e.closest('dialog'))
  .map((e) => (e.getAttribute("aria-label") || e.textContent || e.id || e.tagName).trim().slice(0, 60))
"""


class AccessibilityTestCase(BrowserTestCase):
    start_sfu = False  # the pages, not the media

    def axe(self, person: Person, where: str) -> None:
        result = person.page.evaluate(JS_AXE)
        self.assertGreater(result["passed"], 15, result)  # axe really looked at the page
        found = result["violations"]
        self.assertEqual(found, [], f"axe on the {where}:\n" + "\n".join(found))
        if result["minor"]:
            print(f"\naxe on the {where}, moderate or minor: {result['minor']}", flush=True)

    def person(self, name: str) -> Person:
        person = self.new_person(name)
        person.context.add_init_script(path=str(AXE))
        return person

    def test_no_serious_violations_on_the_rooms_pages(self) -> None:
        alice = self.person("Alice")
        self.sign_in(alice, self.alice)
        alice.page.goto(f"{self.live_server_url}/")
        alice.page.get_by_role("button", name="Create room").wait_for()
        self.axe(alice, "home page (rooms)")
        self.open_room(alice)
        self.axe(alice, "lobby")
        self.join(alice)
        alice.page.get_by_role("button", name="Leave").wait_for()
        self.axe(alice, "meeting")
        alice.page.get_by_role("button", name="Keyboard shortcuts").click()
        alice.page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
        self.axe(alice, "keyboard shortcuts dialog")
        alice.page.keyboard.press("Escape")
        alice.page.get_by_role("button", name="Devices").click()
        alice.page.get_by_role("dialog", name="Devices").wait_for()
        self.axe(alice, "devices dialog")
        alice.page.keyboard.press("Escape")

        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        guest = self.person("Gus Guest")
        guest.page.goto(self.room_url())
        guest.page.get_by_label("Your name").wait_for()
        self.axe(guest, "guest's name page")
        Room.objects.filter(pk=self.room.pk).update(waiting_room=True)
        self.open_room(guest)  # types the name, waits until Join can be pressed
        guest.page.get_by_role("button", name="Join", exact=True).click()
        try:
            guest.page.locator("#status", has_text="The host will let you in soon.").wait_for()
        except Exception as e:
            raise AssertionError(f"the guest does not wait: {e}\n{self.debug_dump()}") from None
        self.axe(guest, "waiting room's lobby")
        alice.page.get_by_role("button", name="Admit Gus Guest").wait_for()
        self.axe(alice, "meeting with someone waiting")

    def test_every_meeting_control_is_reached_by_tab_with_a_focus_ring(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        alice.page.locator("#participants li", has_text="Bob").wait_for()
        wanted = set(alice.page.evaluate(JS_CONTROLS))
        self.assertIn("Mute microphone", wanted)
        self.assertIn("Pin Bob", wanted)  # the tiles' buttons too
        reached: dict[str, bool] = {}
        first = None
        alice.page.locator("body").focus()
        for _ in range(150):
            alice.page.keyboard.press("Tab")
            focused = alice.page.evaluate(JS_FOCUSED)
            if focused is None:
                continue
            if focused["text"] == first:
                break  # went round once
            first = first or focused["text"]
            reached[focused["text"]] = reached.get(focused["text"], True) and focused["ring"]
        missing = wanted - set(reached)
        self.assertEqual(missing, set(), f"not reached by Tab: {missing}")
        without_ring = [name for name in wanted if not reached[name]]
        self.assertEqual(without_ring, [], "no visible focus ring")
