"""The phrase lists are data about kinds of speech, not sentences of the meetings we test on."""

from __future__ import annotations

import io
import re
import tokenize
import unittest
from pathlib import Path

from summaries.extract import phrases

EXTRACT = Path(__file__).resolve().parent.parent / "extract"
FIXTURES = Path(__file__).resolve().parent.parent.parent / "summaries" / "fixtures" / "meetings"
RUN = 5  # words in a row that make a quote


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _runs(text: str) -> set[tuple[str, ...]]:
    w = _words(text)
    return {tuple(w[i : i + RUN]) for i in range(len(w) - RUN + 1)}


class PhraseTests(unittest.TestCase):
    def test_no_comment_quotes_a_fixture_meeting(self) -> None:
        said: set[tuple[str, ...]] = set()
        for path in FIXTURES.glob("*.json"):
            said |= _runs(path.read_text(encoding="utf-8"))
        self.assertTrue(said)
        for path in EXTRACT.glob("*.py"):
            source = path.read_text(encoding="utf-8")
            for tok in tokenize.generate_tokens(io.StringIO(source).readline):
                if tok.type in (tokenize.COMMENT, tokenize.STRING):
                    self.assertFalse(_runs(tok.string) & said, f"{path.name}:{tok.start[0]} {tok.string}")

    def test_phrase_lists_have_no_repeats(self) -> None:
        for name, value in vars(phrases).items():
            if name.isupper() and isinstance(value, tuple):
                self.assertEqual(len(value), len(set(value)), name)

    def test_alt_is_one_group(self) -> None:
        pattern = re.compile(rf"^{phrases.alt(('no problem', 'no'))}$")
        self.assertTrue(pattern.match("no problem"))
        self.assertFalse(pattern.match("no problems"))
