from __future__ import annotations

from django.test import SimpleTestCase

from transcripts.tests.helpers import wer


class WerTestCase(SimpleTestCase):
    def test_identical_ignores_case_and_punctuation(self) -> None:
        self.assertEqual(wer("Hello, World.", "hello world"), 0.0)

    def test_counts_substitution_deletion_insertion(self) -> None:
        self.assertAlmostEqual(wer("a b c d", "a x c"), 0.5)  # one substitution, one deletion
        self.assertAlmostEqual(wer("a b", "a b c"), 0.5)
