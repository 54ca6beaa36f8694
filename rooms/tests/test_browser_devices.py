"""Device pickers in real browsers: Chromium's fake devices are listed by enumerateDevices. The
choices (a microphone, joining muted or with the camera off) are remembered per browser, and a
switch during the meeting replaces the track without a new offer."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase, Person

JS_TRACK_LABEL = "(kind) => { const t = window.__meet.local[kind]; return t ? t.label : null; }"
JS_OPTIONS = "(id) => [...document.getElementById(id).options].map((o) => o.textContent)"
JS_PUBLISH_OFFERS = "() => window.__meet.events.filter((e) => e.publishAnswer).length"
JS_SENT_AUDIO_LABEL = """
() => { const pc = window.__meet.publishPc;
  const s = pc && pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
  return s ? s.track.label : null; }
"""


class DevicePickersTestCase(BrowserTestCase):
    start_sfu = False

    def choose_microphone(self, person: Person, label: str) -> None:
        person.page.get_by_label("Microphone", exact=True).select_option(label=label)
        person.page.wait_for_function(f"() => ({JS_TRACK_LABEL})('audio') === {label!r}", timeout=10_000)

    def test_pickers_list_the_devices_and_the_choice_is_remembered(self) -> None:
        bob = self.signed_in(self.bob)
        self.open_room(bob)
        mics = bob.page.evaluate(JS_OPTIONS, "microphone-select")
        self.assertGreaterEqual(len(mics), 2, mics)
        self.assertGreaterEqual(len(bob.page.evaluate(JS_OPTIONS, "camera-select")), 1)
        other = next(m for m in mics if m != bob.page.evaluate(JS_TRACK_LABEL, "audio"))
        self.choose_microphone(bob, other)
        bob.page.reload()
        self.open_room(bob)
        self.assertEqual(bob.page.evaluate(JS_TRACK_LABEL, "audio"), other)  # asked for it again
        selected = bob.page.get_by_label("Microphone", exact=True)
        self.assertEqual(selected.evaluate("(s) => s.options[s.selectedIndex].textContent"), other)

    def test_the_microphone_level_meter_moves(self) -> None:
        bob = self.signed_in(self.bob)
        self.open_room(bob)
        # Chromium's fake microphone beeps: the meter rises above zero.
        bob.page.wait_for_function(
            "() => document.querySelector('meter[aria-label=\"Microphone level\"]').value > 0.05",
            timeout=10_000,
        )

    def test_join_muted_and_camera_off_are_remembered(self) -> None:
        bob = self.signed_in(self.bob)
        self.open_room(bob)
        bob.page.get_by_label("Join with microphone off").check()
        bob.page.get_by_label("Join with camera off").check()
        bob.page.reload()
        self.open_room(bob)
        self.assertTrue(bob.page.get_by_label("Join with microphone off").is_checked())
        self.join(bob)
        bob.page.get_by_role("button", name="Unmute microphone").wait_for()
        bob.page.get_by_role("button", name="Turn camera on").wait_for()
        self.assertIsNone(bob.page.evaluate(JS_TRACK_LABEL, "video"))  # the camera was never opened
        alice = self.signed_in(self.alice)
        self.enter(alice)
        alice.page.locator("#participants li", has_text="Bob").get_by_text(
            "microphone off, camera off"
        ).wait_for()

    def test_a_device_that_goes_away_falls_back_with_a_message(self) -> None:
        bob = self.signed_in(self.bob)
        self.enter(bob)
        # As if unplugged: the track says it ended (a real unplug does the same).
        bob.page.evaluate("() => window.__meet.local.audio.dispatchEvent(new Event('ended'))")
        bob.page.locator("#alert", has_text="Your microphone was disconnected. Now using").wait_for()
        bob.page.get_by_role("button", name="Mute microphone").wait_for()


class DevicesInTheMeetingTestCase(BrowserTestCase):
    def test_switching_the_microphone_replaces_the_track_without_a_new_offer(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_audio_flowing(alice, "Bob")
        bob.page.wait_for_function(f"() => ({JS_PUBLISH_OFFERS})() === 1", timeout=10_000)
        bob.page.get_by_role("button", name="Devices").click()
        dialog = bob.page.get_by_role("dialog", name="Devices")
        dialog.wait_for()
        mics = bob.page.evaluate(JS_OPTIONS, "microphone-select")
        other = next(m for m in mics if m != bob.page.evaluate(JS_TRACK_LABEL, "audio"))
        self.choose_microphone(bob, other)
        bob.page.wait_for_function(f"() => ({JS_SENT_AUDIO_LABEL})() === {other!r}", timeout=10_000)
        self.assertEqual(bob.page.evaluate(JS_PUBLISH_OFFERS), 1)  # replaceTrack: no renegotiation
        self.wait_audio_flowing(alice, "Bob")  # still heard
        dialog.get_by_role("button", name="Close").click()
        dialog.wait_for(state="hidden")

    def test_switching_the_camera_and_the_speaker(self) -> None:
        alice = self.signed_in(self.alice)
        # Two fake cameras (a later switch wins over the class's).
        bob = self.new_person("Bob", browser_args=["--use-fake-device-for-media-stream=device-count=2"])
        self.sign_in(bob, self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(alice, "Bob")
        bob.page.get_by_role("button", name="Devices").click()
        cameras = bob.page.evaluate(JS_OPTIONS, "camera-select")
        self.assertEqual(len(cameras), 2, cameras)
        other = next(c for c in cameras if c != bob.page.evaluate(JS_TRACK_LABEL, "video"))
        bob.page.get_by_label("Camera", exact=True).select_option(label=other)
        bob.page.wait_for_function(
            "(label) => window.__meet.publishPc.getSenders().some((s) => s.track && s.track.label === label)",
            arg=other,
            timeout=10_000,
        )
        self.assertEqual(bob.page.evaluate(JS_PUBLISH_OFFERS), 1)  # replaceTrack: no renegotiation
        self.wait_video_playing(alice, "Bob")
        # The speaker: every tile's sound goes to the chosen output.
        speaker = bob.page.get_by_label("Speaker", exact=True)
        chosen = speaker.evaluate("(s) => { s.selectedIndex = s.options.length - 1; return s.value; }")
        speaker.dispatch_event("change")
        bob.page.wait_for_function(
            "(id) => [...document.querySelectorAll('.tile audio')].every((a) => a.sinkId === id)"
            " && document.querySelectorAll('.tile audio').length > 0",
            arg=chosen,
            timeout=10_000,
        )

    choose_microphone = DevicePickersTestCase.choose_microphone
