"""The page tells the SFU which videos it shows (`visible`, static/js/visibility.js): a tile out
of view, or every tile of a hidden tab, gets no video while its audio goes on, and the video is
back within about a second of showing it again, without a new subscribe offer. Measured from the
viewer's own getStats (inbound-rtp per track of the subscribe connection)."""

from __future__ import annotations

import time

from conference.testing.browser import BrowserTestCase, Person

# Per participant name: decoded frames and bytes of their camera, packets of their audio.
JS_RECEIVED = """
async () => {
  const meet = window.__meet;
  const pc = meet.subscribePc;
  if (!pc) return {};
  const byId = {};
  for (const p of meet.participants) byId[p.id] = p.name;
  const tracks = meet.subscribeTracks || {};
  const out = {};
  (await pc.getStats()).forEach((r) => {
    const info = r.type === "inbound-rtp" && tracks[r.mid];
    if (!info) return;
    const o = (out[byId[info.participant]] ||= { frames: 0, bytes: 0, audio: 0 });
    if (info.kind === "video") { o.frames += r.framesDecoded || 0; o.bytes += r.bytesReceived || 0; }
    if (info.kind === "audio") o.audio += r.packetsReceived || 0;
  });
  return out;
}
"""

# Show `name`'s video again (`how`: "scroll" the strip to its end, or "show" the tab), then poll
# getStats every 50 ms until that camera decodes a new frame: the milliseconds it took, or null
# after 5 s.
JS_TIME_TO_VIDEO = """
async ([name, how]) => {
  const received = JS_RECEIVED;
  const before = ((await received())[name] || { frames: 0 }).frames;
  const start = performance.now();
  if (how === "scroll") {
    const strip = document.querySelector(".tiles-strip");
    strip.scrollTop = strip.scrollHeight;
  } else {
    delete document.hidden; // the document's own getters again (see JS_HIDE_TAB)
    delete document.visibilityState;
    document.dispatchEvent(new Event("visibilitychange"));
  }
  while (performance.now() - start < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (((await received())[name] || { frames: 0 }).frames > before) return performance.now() - start;
  }
  return null;
}
""".replace("JS_RECEIVED", JS_RECEIVED.strip())

# A hidden tab as the page sees one (headless Chromium has no window to minimize).
JS_HIDE_TAB = """() => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  document.dispatchEvent(new Event("visibilitychange"));
}"""

JS_OFFERS = "() => window.__meet.events.filter((e) => 'offer' in e).length"
JS_ID_OF = "(name) => window.__meet.participants.find((p) => p.name === name).id"
JS_LAST_VISIBLE = "() => { const v = window.__meet.events.filter((e) => 'visible' in e); return v.length ? v[v.length - 1].visible : null; }"

# Ask for fresh peer connections unless already answered; true once the page restarted its media.
JS_RESTART_MEDIA = """() => {
  const meet = window.__meet;
  if (meet.events.some((e) => e.mediaRestart)) return true;
  meet.signaling.send({ type: "media-restart-request" });
  return false;
}"""
JS_NEW_PC_CONNECTED = "(old) => { const pc = window.__meet.subscribePc; return !!pc && pc !== old && pc.connectionState === 'connected'; }"
JS_VISIBLE_SINCE_RESTART = """() => {
  const events = window.__meet.events;
  const restart = events.findLastIndex((e) => e.mediaRestart);
  return events.slice(restart + 1).filter((e) => "visible" in e).map((e) => e.visible);
}"""


class VisibilityTestCase(BrowserTestCase):
    def received(self, person: Person) -> dict[str, dict[str, int]]:
        return person.page.evaluate(JS_RECEIVED)

    def wait_visible_sent(self, person: Person, ids: list[int]) -> None:
        """The page's last `visible` lists exactly ``ids``."""
        want = ",".join(str(i) for i in sorted(ids))
        self.wait_until(
            lambda: person.page.evaluate(JS_LAST_VISIBLE) == want, 5, f"visible {want!r} not sent"
        )

    def assert_video_paused_audio_flowing(self, viewer: Person, hidden: str, shown: list[str]) -> None:
        """Over 2 s: ``hidden``'s camera decodes nothing new while its audio arrives; ``shown`` play."""
        time.sleep(0.5)  # frames already in flight when the SFU paused
        before = self.received(viewer)
        time.sleep(2.0)
        after = self.received(viewer)
        print(f"\n{hidden} hidden for 2 s: {before[hidden]} -> {after[hidden]}", flush=True)
        self.assertEqual(after[hidden]["frames"], before[hidden]["frames"], "the hidden video still decodes")
        self.assertLess(
            after[hidden]["bytes"] - before[hidden]["bytes"], 5_000, "the hidden video still arrives"
        )
        self.assertGreater(after[hidden]["audio"], before[hidden]["audio"] + 20, "its audio stopped too")
        for name in shown:
            self.assertGreater(after[name]["frames"], before[name]["frames"] + 5, f"{name}'s video stopped")

    def time_to_video(self, viewer: Person, name: str, how: str) -> float:
        ms = viewer.page.evaluate(JS_TIME_TO_VIDEO, [name, how])
        self.assertIsNotNone(ms, f"{name}'s video did not come back within 5 s\n{self.debug_dump()}")
        print(f"{name}'s video back {ms:.0f} ms after showing it", flush=True)
        return ms / 1000

    def test_a_tile_scrolled_out_of_the_strip_gets_no_video_until_scrolled_back(self) -> None:
        alice = self.signed_in(self.alice, viewport={"width": 1100, "height": 700})
        bob = self.signed_in(self.bob)
        gus = self.new_person("Gus Guest")
        for person in (alice, bob, gus):
            self.enter(person)
        self.wait_video_playing(alice, "Bob")
        self.wait_video_playing(alice, "Gus Guest")
        bob_id, gus_id = (alice.page.evaluate(JS_ID_OF, n) for n in ("Bob", "Gus Guest"))
        self.wait_visible_sent(alice, [bob_id, gus_id])
        offers = alice.page.evaluate(JS_OFFERS)
        # Gus pinned on the stage; Alice shares her screen: the strip is [Alice (you), Your
        # screen, Bob]. Then the window gets short: the strip shows two tiles, and Bob's is below
        # its edge until it is scrolled.
        alice.page.get_by_role("button", name="Pin Gus Guest").click()
        alice.page.get_by_role("button", name="Share screen").click()
        alice.page.locator(".tiles-strip .tile", has_text="Your screen").wait_for()
        alice.page.set_viewport_size({"width": 1100, "height": 380})
        self.wait_visible_sent(alice, [gus_id])
        strip = alice.page.locator(".tiles-strip").bounding_box()
        tile = alice.page.locator(".tiles-strip .tile", has_text="Bob").bounding_box()
        self.assertGreaterEqual(tile["y"], strip["y"] + strip["height"] - 0.5, (strip, tile))
        self.assert_video_paused_audio_flowing(alice, "Bob", shown=["Gus Guest"])

        took = self.time_to_video(alice, "Bob", "scroll")
        self.wait_visible_sent(alice, [bob_id, gus_id])
        self.assertLess(took, 1.5)  # the 250 ms debounce, a PLI and the publisher's keyframe
        self.assertEqual(alice.page.evaluate(JS_OFFERS), offers, "a new subscribe offer (renegotiation)")

    def test_a_hidden_tab_gets_no_video_and_all_of_it_back_when_shown(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        for person in (alice, bob):
            self.enter(person)
        self.wait_video_playing(alice, "Bob")
        bob_id = alice.page.evaluate(JS_ID_OF, "Bob")
        self.wait_visible_sent(alice, [bob_id])
        offers = alice.page.evaluate(JS_OFFERS)

        alice.page.evaluate(JS_HIDE_TAB)
        self.wait_visible_sent(alice, [])
        self.assert_video_paused_audio_flowing(alice, "Bob", shown=[])
        # No frames from a paused video is no sign of a poor connection (quality.js).
        alice.page.wait_for_function(
            "(id) => window.__meet.quality.latest[id]?.fps === 0", arg=bob_id, timeout=10_000
        )
        verdict = alice.page.evaluate("(id) => window.__meet.quality.latest[id]", bob_id)
        self.assertNotIn("frames per second", verdict["words"], verdict)

        took = self.time_to_video(alice, "Bob", "show")
        self.wait_visible_sent(alice, [bob_id])
        self.assertLess(took, 1.5)
        self.assertEqual(alice.page.evaluate(JS_OFFERS), offers, "a new subscribe offer (renegotiation)")

    def test_after_a_media_restart_the_new_connection_is_told_too(self) -> None:
        """The SFU forgets `visible` with the participant: fresh peer connections get it again."""
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        for person in (alice, bob):
            self.enter(person)
        self.wait_video_playing(alice, "Bob")
        alice.page.evaluate(JS_HIDE_TAB)
        self.wait_visible_sent(alice, [])
        old_pc = alice.page.evaluate_handle("() => window.__meet.subscribePc")
        # Fresh peer connections on the same socket (the server allows one every 5 s).
        self.wait_until(
            lambda: alice.page.evaluate(JS_RESTART_MEDIA),
            15,
            "no media-restart for the request",
        )
        self.wait_until(lambda: alice.page.evaluate(JS_NEW_PC_CONNECTED, old_pc), 15, "no new connection")
        self.wait_until(
            lambda: alice.page.evaluate(JS_VISIBLE_SINCE_RESTART) == [""],
            5,
            "the new connection was not told `visible`",
        )
        self.wait_audio_flowing(alice, "Bob")
        self.assert_video_paused_audio_flowing(alice, "Bob", shown=[])
        took = self.time_to_video(alice, "Bob", "show")
        self.assertLess(took, 1.5)
