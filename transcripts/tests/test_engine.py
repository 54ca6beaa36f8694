from __future__ import annotations

import json
from io import StringIO

import numpy as np
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from conference.testing.audio import low_noise, read_wav, silence
from transcripts.engine import get_engine, is_hallucination, join_text
from transcripts.tests.helpers import FIXTURES, reference, wer


class EngineTestCase(SimpleTestCase):
    def test_transcribes_fixtures(self) -> None:
        engine = get_engine()
        for name in ("speech1", "speech2"):
            with self.subTest(name=name):
                segs = engine.transcribe(FIXTURES / f"{name}.wav")
                self.assertLessEqual(wer(reference(name), join_text(segs)), 0.2, segs)
                self.assertGreaterEqual(segs[0].start, 0.0)
                self.assertLessEqual(segs[-1].end, 3.5)

    def test_array_input_same_as_file(self) -> None:
        audio = read_wav(FIXTURES / "speech2.wav").astype("float32") / 32768
        segs = get_engine().transcribe(audio)
        self.assertLessEqual(wer(reference("speech2"), join_text(segs)), 0.2, segs)

    def test_fast_interim_decoding(self) -> None:
        audio = read_wav(FIXTURES / "speech1.wav").astype("float32") / 32768
        segs = get_engine().transcribe(audio, fast=True)
        self.assertLessEqual(wer(reference("speech1"), join_text(segs)), 0.25, segs)

    def test_silence_gives_nothing(self) -> None:
        self.assertEqual(get_engine().transcribe(silence(10).astype("float32")), [])

    def test_low_noise_gives_nothing(self) -> None:
        for dbfs in (-60.0, -45.0):
            with self.subTest(dbfs=dbfs):
                audio = low_noise(10, dbfs).astype("float32") / 32768
                self.assertEqual(get_engine().transcribe(audio), [])

    def test_silence_phrases_are_blocked(self) -> None:
        self.assertTrue(is_hallucination(" Thanks for watching!"))
        self.assertTrue(is_hallucination("you"))
        self.assertTrue(is_hallucination("..."))
        self.assertFalse(is_hallucination("Thanks for watching the demo, Bob."))


class TranscribeFileCommandTestCase(SimpleTestCase):
    def test_prints_segments_as_json(self) -> None:
        out = StringIO()
        call_command("transcribe_file", str(FIXTURES / "speech1.wav"), stdout=out)
        data = json.loads(out.getvalue())
        self.assertIsInstance(data, list)
        self.assertGreaterEqual(len(data), 1)
        for item in data:
            self.assertEqual(set(item), {"start", "end", "text"})
            self.assertIsInstance(item["text"], str)
            self.assertLessEqual(item["start"], item["end"])
        self.assertLessEqual(wer(reference("speech1"), " ".join(i["text"] for i in data)), 0.2)

    def test_missing_file_is_a_clear_error(self) -> None:
        with self.assertRaisesMessage(CommandError, "No such audio file"):
            call_command("transcribe_file", "/nonexistent/audio.wav", stdout=StringIO())

    def test_unreadable_file_is_a_clear_error(self) -> None:
        with self.assertRaisesMessage(CommandError, "Could not transcribe"):
            call_command("transcribe_file", str(FIXTURES / "speech1.txt"), stdout=StringIO())


class LiveDecodingTestCase(SimpleTestCase):
    """The live path's short-encoder decode (the worker's interim and final passes)."""

    def test_final_and_interim_windows(self) -> None:
        audio = read_wav(FIXTURES / "speech1.wav").astype("float32") / 32768
        for final in (True, False):
            with self.subTest(final=final):
                segs = get_engine().transcribe_live(audio, final=final)
                self.assertLessEqual(wer(reference("speech1"), join_text(segs)), 0.2, segs)

    def test_silence_and_noise_give_nothing(self) -> None:
        engine = get_engine()
        self.assertEqual(engine.transcribe_live(silence(10).astype("float32"), final=True), [])
        for dbfs in (-60.0, -45.0):
            noise = low_noise(10, dbfs).astype("float32") / 32768
            self.assertEqual(engine.transcribe_live(noise, final=True), [])
            self.assertEqual(engine.transcribe_live(noise, final=False), [])

    def test_window_longer_than_live_limit_still_transcribed(self) -> None:
        names = ("conversation_alice", "conversation_bob")
        audio = np.concatenate([read_wav(FIXTURES / f"{n}.wav") for n in names]).astype("float32") / 32768
        self.assertGreater(len(audio), 30 * 16000)  # past LIVE_MAX_SECONDS: the ordinary path
        text = join_text(get_engine().transcribe_live(audio, final=True))
        self.assertLessEqual(wer(" ".join(reference(n) for n in names), text), 0.2, text)


class EvaluateCaptionsCommandTestCase(SimpleTestCase):
    def test_not_an_eval_set_is_a_clear_error(self) -> None:
        with self.assertRaisesMessage(CommandError, "does not look like the eval set"):
            call_command("evaluate_captions", str(FIXTURES), stdout=StringIO())
