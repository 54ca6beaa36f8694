"""A four-person meeting in grid, speaker and screen-share layouts, at 1280x800 and 390x844.

Each layout is checked (the tiles inside the stage, the grid filling it); the screenshots go to a
temporary folder, or with SAVE_SCREENSHOTS=1 to docs/screenshots/ (as committed, shown in the
README): ``SAVE_SCREENSHOTS=1 make test TESTS=rooms.tests.test_browser_screenshots``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from conference.testing.browser import BrowserTestCase, Person
from rooms.tests.test_browser_layout import JS_BOXES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


class ScreenshotsTestCase(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.out = (
            DOCS if os.environ.get("SAVE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp(prefix="shots-"))
        )
        if self.out != DOCS:
            self.addCleanup(shutil.rmtree, self.out, True)
        self.out.mkdir(parents=True, exist_ok=True)

    def shoot(self, person: Person, layout: str, predicate: str) -> None:
        for size, viewport in SIZES.items():
            person.page.set_viewport_size(viewport)
            person.page.wait_for_function(f"() => (({predicate}))(({JS_BOXES})())", timeout=10_000)
            person.page.wait_for_timeout(300)  # the tiles settle into their new size
            boxes = person.page.evaluate(JS_BOXES)
            stage = boxes["stage"]
            for tile in boxes["main"]:
                self.assertLessEqual(tile["x"] + tile["w"], stage["x"] + stage["w"] + 1, (size, layout, tile))
                self.assertLessEqual(tile["y"] + tile["h"], stage["y"] + stage["h"] + 1, (size, layout, tile))
            if layout == "grid" and size == "desktop":
                covered = sum(t["w"] * t["h"] for t in boxes["main"]) / (stage["w"] * stage["h"])
                self.assertGreaterEqual(covered, 0.6, (size, covered))
            path = self.out / f"meeting-{layout}-{viewport['width']}x{viewport['height']}.png"
            person.page.mouse.move(0, 0)  # no hover effects in the picture
            person.page.screenshot(path=str(path))
            self.assertGreater(path.stat().st_size, 10_000)

    def test_four_people_in_each_layout(self) -> None:
        alice = self.signed_in(self.alice, viewport=SIZES["desktop"])
        bob = self.signed_in(self.bob)
        gus = self.new_person("Gus Guest")
        carla = self.new_person("Carla Guest", viewport=SIZES["desktop"])
        for person in (alice, bob, gus):
            self.enter(person)
        self.open_room(carla)  # the lobby: preview, device pickers, level meter
        carla.page.mouse.move(0, 0)
        carla.page.screenshot(path=str(self.out / "lobby-1280x800.png"))
        self.join(carla)
        for name in ("Bob", "Gus Guest", "Carla Guest"):
            self.wait_video_playing(alice, name)
        bob.page.get_by_label("Message").fill("Shall we start with the roadmap?")
        bob.page.get_by_role("button", name="Send").click()
        alice.page.locator("#chat-log").get_by_text("roadmap").wait_for()
        self.shoot(alice, "grid", "(b) => b.layout === 'grid' && b.main.length === 4")

        alice.page.get_by_role("button", name="Speaker layout").click()
        self.shoot(alice, "speaker", "(b) => b.layout === 'stage' && b.strip.length === 3")
        alice.page.get_by_role("button", name="Speaker layout").click()

        bob.page.get_by_role("button", name="Share screen").click()
        self.wait_video_playing(alice, "Bob", screen=True)
        self.shoot(alice, "screen", "(b) => b.layout === 'stage' && b.main[0]?.name === `Bob's screen`")
