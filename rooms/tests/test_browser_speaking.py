"""Who is speaking, in real browsers: audio levels are computed in each page from the tracks it
receives. Alice's fake microphone plays a recording of speech; Bob's and Gus's play silence."""

from __future__ import annotations

import shutil
import tempfile
import time
import wave
from pathlib import Path

from conference.testing.browser import BrowserTestCase, Person
from transcripts.tests.helpers import FIXTURES

JS_SPEAKING = """
(name) => {
  const v = document.querySelector(`video[data-participant="${name}"]`);
  return Boolean(v && v.closest('.tile').dataset.speaking === 'true');
}
"""


def write_silence(target: Path, seconds: float = 5.0) -> None:
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * int(16000 * seconds))


def write_speech(target: Path) -> None:
    """The recording with a little silence after it (Chromium loops the file)."""
    with wave.open(str(FIXTURES / "speech1.wav"), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    with wave.open(str(target), "wb") as out:
        out.setparams(params)
        out.writeframes(frames + b"\0" * params.sampwidth * params.framerate)


class SpeakingTestCase(BrowserTestCase):
    tmpdir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmpdir = tempfile.mkdtemp(prefix="speaking-")
        cls.silence = Path(cls.tmpdir) / "silence.wav"
        cls.speech = Path(cls.tmpdir) / "speech.wav"
        write_silence(cls.silence)
        write_speech(cls.speech)
        # Everyone is silent unless given a browser of their own with the speech file.
        cls.extra_chromium_args = [f"--use-file-for-fake-audio-capture={cls.silence}"]
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    def meeting(self) -> tuple[Person, Person, Person]:
        alice = self.new_person("Alice", browser_args=[f"--use-file-for-fake-audio-capture={self.speech}"])
        self.sign_in(alice, self.alice)
        bob = self.signed_in(self.bob)
        gus = self.new_person("Gus Guest")
        for person in (bob, alice, gus):  # Bob first: without speech he would take the stage
            self.enter(person)
        self.wait_audio_flowing(gus, "Alice")
        self.wait_audio_flowing(gus, "Bob")
        return alice, bob, gus

    def wait_speaking(self, person: Person, name: str) -> None:
        try:
            person.page.wait_for_function(JS_SPEAKING, arg=name, polling=100, timeout=15_000)
        except Exception as e:
            raise AssertionError(
                f"{person.name} never sees {name} speaking: {e}\n{self.debug_dump()}"
            ) from None

    def test_the_one_who_speaks_is_shown_speaking_and_the_silent_one_is_not(self) -> None:
        _alice, bob, gus = self.meeting()
        self.wait_speaking(gus, "Alice")
        self.wait_speaking(bob, "Alice")
        gus.page.locator('#participants li[data-speaking="true"]', has_text="Alice").wait_for()
        # Over several seconds of Alice talking, Bob (silence) is never shown speaking.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            self.assertFalse(gus.page.evaluate(JS_SPEAKING, "Bob"), self.debug_dump())
            self.assertNotIn("speaking", gus.page.locator("#participants li", has_text="Bob").inner_text())
            time.sleep(0.25)

    def test_speaker_layout_follows_the_active_speaker(self) -> None:
        _alice, _bob, gus = self.meeting()
        gus.page.get_by_role("button", name="Speaker layout").click()
        try:
            gus.page.wait_for_function(
                "() => { const main = document.querySelector('.tiles-main > .tile');"
                " return main && main.querySelector('video[data-participant=\"Alice\"]') !== null; }",
                timeout=15_000,
            )
        except Exception as e:
            raise AssertionError(f"Alice never takes the stage: {e}\n{self.debug_dump()}") from None
        self.assertEqual(gus.page.locator(".tiles-strip > .tile").count(), 2)  # Bob and Gus himself
