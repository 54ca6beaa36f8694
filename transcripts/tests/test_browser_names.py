"""A participant with an unusual name says it in a real meeting: the caption on the other page
and the transcript spell it as the roster does (the names are the decoder's prompt, then
transcripts.prompt.respell).

Daphne, ``runsfu`` and ``runtranscriber`` run as subprocesses (conference/testing/browser.py).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from conference.testing.browser import BrowserTestCase
from rooms.models import Meeting
from transcripts.evaluation import make_short_set
from transcripts.models import Segment
from transcripts.tests.test_browser_captions import padded_wav

NAME = "Siobhán Nakamura-Oduya"
SAID = "Hello everyone, I am Siobhan Nakamura Oduya."  # espeak-ng reads it the English way


class NameInCaptionsTestCase(BrowserTestCase):
    tmpdir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmpdir = tempfile.mkdtemp(prefix="names-")
        clip = make_short_set(Path(cls.tmpdir), phrases=(SAID,), speeds=(160,), levels=(-1,))[0]
        wav = Path(cls.tmpdir) / "name.wav"
        padded_wav(clip.wav, wav)
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

    def test_caption_and_transcript_spell_the_name_as_the_roster(self) -> None:
        self.alice.display_name = NAME
        self.alice.save(update_fields=["display_name"])
        bob = self.signed_in(self.bob)
        self.enter(bob)
        bob.page.get_by_role("button", name="Mute microphone").click()  # only she speaks
        bob.page.get_by_role("button", name="Unmute microphone").wait_for()
        alice = self.signed_in(self.alice)
        self.enter(alice)
        self.wait_audio_flowing(bob, NAME)

        seen: list[str] = []
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and not any(NAME in text for text in seen):
            seen = bob.page.evaluate(
                "(speaker) => window.__meet.captionLog.filter((c) => c.final && c.speaker === speaker)"
                ".map((c) => c.text)",
                NAME,
            )
            time.sleep(0.5)
        print(f"\nfinal captions on Bob's page: {seen}", file=sys.stderr)
        self.assertTrue(any(NAME in text for text in seen), f"captions {seen!r}\n{self.debug_dump()}")
        self.assertIn(NAME, bob.page.locator("#captions").inner_text())

        meeting = Meeting.objects.filter(room=self.room).latest("started_at")
        for person in (alice, bob):
            person.page.get_by_role("button", name="Leave").click()
        self.wait_until(
            lambda: Meeting.objects.get(pk=meeting.pk).ended_at is not None, 15, "the meeting did not end"
        )
        self.wait_until(
            lambda: Segment.objects.filter(transcript__meeting=meeting, text__contains=NAME).exists(),
            30,
            "no transcript segment with the name as the roster spells it",
        )
        page = alice.page
        page.goto(f"{self.live_server_url}/meetings/{meeting.pk}/transcript/")
        texts = page.locator(".segment-text").all_inner_texts()
        speakers = page.locator(".segment-speaker").all_inner_texts()
        print(f"transcript page: {list(zip(speakers, texts, strict=False))}", file=sys.stderr)
        self.assertTrue(any(NAME in t for t in texts), texts)
        self.assertIn(NAME, speakers)
