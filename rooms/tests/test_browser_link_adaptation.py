"""The page's side of link adaptation (docs/sfu.md): Chromium sends its camera with three VP8
temporal layers (L1T3), and a `link-quality` message puts "Video paused: poor connection" on
every remote tile (a status badge), cleared when video comes back."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase

# The camera's encoder as Chromium reports it: scalability mode and codec of the outbound video.
JS_CAMERA_ENCODING = """
async () => {
  const pc = window.__meet.publishPc;
  const out = [];
  const codecs = {};
  (await pc.getStats()).forEach((r) => { if (r.type === "codec") codecs[r.id] = r.mimeType; });
  (await pc.getStats()).forEach((r) => {
    if (r.type === "outbound-rtp" && r.kind === "video" && r.framesEncoded > 0)
      out.push({ mode: r.scalabilityMode || null, codec: codecs[r.codecId] || null });
  });
  return out;
}
"""
JS_BADGES = """() => [...document.querySelectorAll('.tile:not(.tile-self) .badge-link-paused')]
  .map((b) => ({ hidden: b.hidden, text: b.textContent, role: b.getAttribute("role") }))"""


class LinkAdaptationPageTests(BrowserTestCase):
    def test_the_camera_has_three_temporal_layers_and_a_paused_link_says_so_on_the_tiles(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        for person in (alice, bob):
            self.enter(person)
        self.wait_video_playing(alice, "Bob")
        self.wait_until(lambda: bob.page.evaluate(JS_CAMERA_ENCODING), 10, "no camera stats")
        encodings = bob.page.evaluate(JS_CAMERA_ENCODING)
        self.assertIn({"mode": "L1T3", "codec": "video/VP8"}, encodings)

        alice.page.evaluate(
            "(m) => window.__meet.receive(m)",
            {"type": "link-quality", "paused": True, "message": "Video paused: poor connection"},
        )
        badges = alice.page.evaluate(JS_BADGES)
        self.assertTrue(badges)
        for badge in badges:
            self.assertEqual(
                badge, {"hidden": False, "text": "Video paused: poor connection", "role": "status"}
            )
        alice.page.evaluate(
            "(m) => window.__meet.receive(m)", {"type": "link-quality", "paused": False, "message": ""}
        )
        self.assertTrue(all(b["hidden"] for b in alice.page.evaluate(JS_BADGES)))
