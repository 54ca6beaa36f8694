"""Live captions in real browsers: a speaker's fake microphone plays an espeak-ng recording.

Daphne, ``runsfu`` and ``runtranscriber`` run as subprocesses (conference/testing/browser.py); the
speaker's words must show up as captions on the other participant's page and in the transcript.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import wave
from pathlib import Path

from conference.testing.browser import BrowserTestCase
from rooms.models import Meeting
from transcripts.models import Segment
from transcripts.tests.helpers import FIXTURES, reference, wer

MAX_WER = 0.20
SPEECH = "speech1"


def padded_wav(source: Path, target: Path, before: float = 1.0, after: float = 2.0) -> None:
    """Chromium loops the capture file: silence around the speech makes each loop one utterance."""
    with wave.open(str(source), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    silence = b"\0" * params.sampwidth * params.nchannels
    with wave.open(str(target), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(
            silence * int(before * params.framerate) + frames + silence * int(after * params.framerate)
        )


class CaptionsInBrowsersTestCase(BrowserTestCase):
    tmpdir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmpdir = tempfile.mkdtemp(prefix="captions-")
        wav = Path(cls.tmpdir) / f"{SPEECH}.wav"
        padded_wav(FIXTURES / f"{SPEECH}.wav", wav)
        cls.extra_chromium_args = [f"--use-file-for-fake-audio-capture={wav}"]
        super().setUpClass()
        try:
            cls.transcriber = cls.start_worker(
                "transcriber", ["runtranscriber"], {}, ready=r"transcriber ready"
            )
            cls.transcriber.wait_ready(60)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    def final_captions(self, person, speaker: str) -> list[str]:  # noqa: ANN001
        return person.page.evaluate(
            "(speaker) => window.__meet.captionLog.filter((c) => c.final && c.speaker === speaker)"
            ".map((c) => c.text)",
            speaker,
        )

    def test_speaker_is_captioned_and_transcribed(self) -> None:
        ref = reference(SPEECH)
        bob = self.signed_in(self.bob)
        self.enter(bob)
        # Bob's fake microphone plays the same file: mute it, so only Alice speaks.
        bob.page.get_by_role("button", name="Mute microphone").click()
        bob.page.get_by_role("button", name="Unmute microphone").wait_for()
        alice = self.signed_in(self.alice)
        self.enter(alice)
        self.wait_audio_flowing(bob, "Alice")

        # A final caption of one whole loop of the recording (the first may start mid-sentence).
        best, seen = 1.0, []
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and best > MAX_WER:
            seen = self.final_captions(bob, "Alice")
            if seen:
                best = min(wer(ref, text) for text in seen)
            time.sleep(0.5)
        print(f"\nfinal captions on Bob's page: {seen} (best WER {best:.2f})", file=sys.stderr)
        self.assertLessEqual(best, MAX_WER, f"captions {seen!r} vs {ref!r}\n{self.debug_dump()}")
        self.assertIn("Alice", bob.page.locator("#captions").inner_text())
        self.assertEqual(
            bob.page.get_by_role("button", name="Captions").get_attribute("aria-pressed"), "true"
        )

        # Everyone leaves: the meeting ends and its transcript is completed.
        meeting = Meeting.objects.filter(room=self.room).latest("started_at")
        for person in (alice, bob):
            person.page.get_by_role("button", name="Leave").click()
        self.wait_until(
            lambda: Meeting.objects.get(pk=meeting.pk).ended_at is not None, 15, "the meeting did not end"
        )
        self.wait_until(
            lambda: any(
                wer(ref, s.text) <= MAX_WER
                for s in Segment.objects.filter(transcript__meeting=meeting, speaker="Alice")
            ),
            30,
            "no transcript segment of Alice's speech",
        )

        page = alice.page
        page.goto(f"{self.live_server_url}/meetings/{meeting.pk}/transcript/")
        segments = page.locator(".segment")
        rows = [
            (
                segments.nth(i).locator(".segment-speaker").inner_text(),
                segments.nth(i).locator(".segment-text").inner_text(),
            )
            for i in range(segments.count())
        ]
        print(f"transcript page: {rows}", file=sys.stderr)
        self.assertTrue(
            any(speaker == "Alice" and wer(ref, text) <= MAX_WER for speaker, text in rows),
            f"transcript page rows {rows!r}",
        )
