"""Layouts of the meeting page in a real browser: the grid fills the stage, speaker layout, pin,
a shared screen on the stage. Sizes are measured from the element boxes Chromium lays out."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase, Person

DESKTOP = {"width": 1280, "height": 800}

# Boxes of the stage and of the tiles in its main area and its strip.
JS_BOXES = """
() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const name = (t) => t.querySelector('.tile-name-text').textContent;
  return {
    stage: box(document.querySelector('section.stage')),
    layout: document.getElementById('grid').dataset.layout,
    main: [...document.querySelectorAll('.tiles-main > .tile')].map((t) => ({name: name(t), ...box(t)})),
    strip: [...document.querySelectorAll('.tiles-strip > .tile')].map((t) => ({name: name(t), ...box(t)})),
  };
}
"""


class LayoutTestCase(BrowserTestCase):
    def three(self, viewport: dict = DESKTOP) -> tuple[Person, Person, Person]:
        alice = self.signed_in(self.alice, viewport=viewport)
        bob = self.signed_in(self.bob)
        guest = self.new_person("Gus Guest")
        for person in (alice, bob, guest):
            self.enter(person)
        self.wait_video_playing(alice, "Bob")
        self.wait_video_playing(alice, "Gus Guest")
        return alice, bob, guest

    def boxes(self, person: Person) -> dict:
        return person.page.evaluate(JS_BOXES)

    def wait_layout(self, person: Person, predicate: str, message: str) -> dict:
        """Wait (bounded) until ``predicate`` (JS, of the boxes) holds; return the boxes."""
        try:
            person.page.wait_for_function(f"() => (({predicate}))(({JS_BOXES})())", timeout=10_000)
        except Exception as e:
            raise AssertionError(f"{message}: {e}\n{self.boxes(person)}\n{self.debug_dump()}") from None
        return self.boxes(person)

    def assert_inside(self, inner: dict, outer: dict) -> None:
        self.assertGreaterEqual(inner["x"], outer["x"] - 0.5)
        self.assertGreaterEqual(inner["y"], outer["y"] - 0.5)
        self.assertLessEqual(inner["x"] + inner["w"], outer["x"] + outer["w"] + 0.5)
        self.assertLessEqual(inner["y"] + inner["h"], outer["y"] + outer["h"] + 0.5)

    def test_three_person_grid_covers_most_of_the_stage(self) -> None:
        alice, _bob, _guest = self.three()
        boxes = self.wait_layout(alice, "(b) => b.main.length === 3", "three tiles in the grid")
        stage = boxes["stage"]
        self.assertEqual(boxes["layout"], "grid")
        self.assertEqual(boxes["strip"], [])
        tiles = boxes["main"]
        for tile in tiles:
            self.assert_inside(tile, stage)
            self.assertAlmostEqual(tile["w"] / tile["h"], 16 / 9, delta=0.02)  # 16:9 kept
        for i, a in enumerate(tiles):  # no two tiles overlap (else the sum would count twice)
            for b in tiles[i + 1 :]:
                overlap_w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
                overlap_h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
                self.assertFalse(overlap_w > 0.5 and overlap_h > 0.5, (a, b))
        covered = sum(t["w"] * t["h"] for t in tiles) / (stage["w"] * stage["h"])
        print(f"\n3-person grid at 1280x800: tiles cover {covered:.1%} of the stage", flush=True)
        self.assertGreaterEqual(covered, 0.60)

    def test_speaker_layout_puts_one_tile_on_the_stage_and_the_others_in_a_strip(self) -> None:
        alice, _bob, _guest = self.three()
        alice.page.get_by_role("button", name="Speaker layout").click()
        boxes = self.wait_layout(
            alice, "(b) => b.layout === 'stage' && b.strip.length === 2", "speaker layout"
        )
        self.assertEqual(
            alice.page.get_by_role("button", name="Speaker layout").get_attribute("aria-pressed"), "true"
        )
        (main,) = boxes["main"]
        self.assertNotIn("(you)", main["name"])  # nobody spoke yet: one of the others, never yourself
        for small in boxes["strip"]:
            self.assertGreater(main["w"] * main["h"], 4 * small["w"] * small["h"])
        alice.page.get_by_role("button", name="Speaker layout").click()
        self.wait_layout(alice, "(b) => b.layout === 'grid' && b.main.length === 3", "back to the grid")

    def test_pin_puts_that_participant_on_the_stage_until_unpinned(self) -> None:
        alice, _bob, _guest = self.three()
        alice.page.get_by_role("button", name="Pin Gus Guest").click()
        boxes = self.wait_layout(alice, "(b) => b.layout === 'stage' && b.main.length === 1", "pinned")
        self.assertEqual(boxes["main"][0]["name"], "Gus Guest")
        unpin = alice.page.get_by_role("button", name="Unpin Gus Guest")
        self.assertEqual(unpin.get_attribute("aria-pressed"), "true")
        unpin.click()
        self.wait_layout(alice, "(b) => b.layout === 'grid' && b.main.length === 3", "unpinned")

    def test_a_shared_screen_takes_the_stage_with_the_presenters_camera_beside_it(self) -> None:
        alice, bob, _guest = self.three()
        bob.page.get_by_role("button", name="Share screen").click()
        self.wait_video_playing(alice, "Bob", screen=True)
        boxes = self.wait_layout(
            alice,
            "(b) => b.layout === 'stage' && b.main.length === 1 && b.main[0].name === \"Bob's screen\"",
            "the screen on the stage",
        )
        self.assertEqual(boxes["strip"][0]["name"], "Bob")  # the presenter first
        self.assert_inside(boxes["main"][0], boxes["stage"])
        self.wait_video_playing(alice, "Bob")  # his camera still plays, moved into the strip
        bob.page.get_by_role("button", name="Stop sharing").click()
        self.wait_layout(alice, "(b) => b.layout === 'grid' && b.main.length === 3", "the grid again")


PHONE = {"width": 390, "height": 844}


class PhoneLayoutTestCase(BrowserTestCase):
    start_sfu = False  # the page's layout, not the media

    def test_on_a_phone_the_stage_comes_first_controls_at_the_bottom_and_panels_open(self) -> None:
        bob = self.signed_in(self.bob, viewport=PHONE)
        self.enter(bob)
        box = lambda selector: bob.page.locator(selector).bounding_box()  # noqa: E731
        stage, controls = box("section.stage"), box(".controls")
        self.assertLess(stage["y"] + stage["height"], controls["y"] + 1)  # the stage first
        self.assertGreater(controls["y"] + controls["height"], PHONE["height"] - 20)  # within a thumb's reach
        self.assertGreater(stage["width"], PHONE["width"] * 0.9)
        self.assertFalse(bob.page.get_by_label("Message").is_visible())  # chat is a panel here
        chat = bob.page.get_by_role("button", name="Chat", exact=True)
        chat.click()
        self.assertEqual(chat.get_attribute("aria-expanded"), "true")
        self.assertEqual(bob.page.evaluate("() => document.activeElement.id"), "chat-input")
        bob.page.get_by_label("Message").fill("From my phone")
        bob.page.get_by_role("button", name="Send").click()
        bob.page.locator("#chat-log").get_by_text("From my phone").wait_for()
        bob.page.keyboard.press("Escape")
        bob.page.get_by_label("Message").wait_for(state="hidden")
        self.assertEqual(bob.page.evaluate("() => document.activeElement.textContent"), "Chat")
        bob.page.get_by_role("button", name="Participants").click()
        bob.page.locator("#participants li", has_text="Bob").wait_for()

    def test_past_the_most_tiles_the_others_go_to_the_strip(self) -> None:
        bob = self.signed_in(self.bob)
        self.open_room(bob)
        # The page's own layout rules (static/js/layout.js), imported next to room.js.
        choice = bob.page.evaluate(
            """async () => {
              const src = document.querySelector('script[type="module"]').src;
              const { chooseLayout, bestGrid } = await import(new URL("layout.js", src));
              const tiles = Array.from({ length: 20 }, (_, i) =>
                ({ key: `${i ? i : "self"}:camera`, id: i ? i : "self", kind: "camera" }));
              return { grid: chooseLayout({ tiles, mode: "grid", maxGrid: 16 }),
                       phone: chooseLayout({ tiles, mode: "grid", maxGrid: 6 }),
                       three: bestGrid(3, 912, 540), wide: bestGrid(3, 1800, 400) };
            }"""
        )
        self.assertEqual(len(choice["grid"]["stage"]), 16)
        self.assertEqual(choice["grid"]["stage"][0], "self:camera")  # yourself first
        self.assertEqual(len(choice["grid"]["strip"]), 4)
        self.assertEqual((len(choice["phone"]["stage"]), len(choice["phone"]["strip"])), (6, 14))
        self.assertEqual((choice["three"]["cols"], choice["three"]["rows"]), (2, 2))
        self.assertEqual(
            (choice["wide"]["cols"], choice["wide"]["rows"]), (3, 1)
        )  # a wide, low stage: one row
