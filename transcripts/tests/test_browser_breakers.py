"""The captions breaker as people see it: Daphne, `runsfu` and Chromium are real, and at first no
`runtranscriber` runs. The speaker's page says "Captions are unavailable right now." near the
captions; once a transcriber starts, "Captions are back." and captions come by themselves."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from conference.testing.browser import BrowserTestCase
from transcripts.tests.helpers import FIXTURES
from transcripts.tests.test_browser_captions import SPEECH, padded_wav

# runsfu's environment (WorkerProcess copies os.environ): a short reset, so the probe comes soon.
SFU_ENV = {"BREAKER_CAPTIONS_FAILURES": "2", "BREAKER_CAPTIONS_RESET_SECONDS": "2"}


class CaptionsBreakerInBrowsersTestCase(BrowserTestCase):
    tmpdir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmpdir = tempfile.mkdtemp(prefix="brk-captions-")
        wav = Path(cls.tmpdir) / f"{SPEECH}.wav"
        padded_wav(FIXTURES / f"{SPEECH}.wav", wav)
        cls.extra_chromium_args = [f"--use-file-for-fake-audio-capture={wav}"]
        saved = {k: os.environ.get(k) for k in SFU_ENV}
        os.environ.update(SFU_ENV)
        try:
            super().setUpClass()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    def status_says(self, person, words: str, timeout: float) -> None:  # noqa: ANN001
        status = person.page.locator("#captions-status")
        self.wait_until(
            lambda: status.is_visible() and words in status.inner_text(),
            timeout,
            f"no {words!r} near the captions\n{self.debug_dump()}",
        )

    def test_no_transcriber_says_captions_are_unavailable_then_they_come_back(self) -> None:
        alice = self.signed_in(self.alice)
        self.enter(alice)
        # The tap opens with Alice's audio; 2 checks a second apart find no transcriber.
        self.status_says(alice, "Captions are unavailable right now.", 30)
        status = alice.page.get_by_role("status").filter(has_text="Captions are unavailable")
        self.assertEqual(status.count(), 1)  # a live region: screen readers hear it too

        transcriber = self.start_worker("transcriber", ["runtranscriber"], {}, ready=r"transcriber ready")
        transcriber.wait_ready(60)
        self.status_says(alice, "Captions are back.", 30)
        started = time.monotonic()
        self.wait_until(
            lambda: alice.page.evaluate("() => window.__meet.captionLog.some((c) => c.final)"),
            60,
            f"no caption after the breaker closed\n{self.debug_dump()}",
        )
        print(f"\nfirst final caption {time.monotonic() - started:.1f} s after 'Captions are back.'")
