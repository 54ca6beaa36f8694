"""Figures in digits and headline-style clauses: the overview says the same facts in fewer words."""

from __future__ import annotations

import unittest

from summaries.extract.compress import headline, readable, vagueness
from summaries.extract.figures import parse, with_digits


class FiguresTests(unittest.TestCase):
    def test_spoken_figures_become_digits(self) -> None:
        for said, written in (
            ("The budget is four hundred eighty thousand dollars.", "The budget is $480,000."),
            ("Events are twenty two thousand over", "Events are 22,000 over"),
            ("about one hundred forty dollars per lead", "about $140 per lead"),
            ("loads in one point eight seconds", "loads in 1.8 seconds"),
            ("a fifteen percent discount", "a 15% discount"),
            ("All forty one recordings", "All 41 recordings"),
            ("one hundred and five people", "105 people"),
            ("ninety thousand dollars a year", "$90,000 a year"),
        ):
            with self.subTest(said):
                self.assertEqual(with_digits(said), written)

    def test_words_that_are_no_single_figure_stay(self) -> None:
        for said in (
            "one of them",  # a pronoun
            "three blockers",  # a single word reads as well as a digit
            "at six thirty",  # a time
            "in twenty twenty five",  # a year
            "a thirty second video",  # an ordinal, or a length of time
        ):
            with self.subTest(said):
                self.assertEqual(with_digits(said), said)
        self.assertIsNone(parse(["twenty", "twenty", "five"]))
        self.assertEqual(parse(["two", "hundred", "twelve"]), 212)


class HeadlineTests(unittest.TestCase):
    def test_words_without_content_are_dropped(self) -> None:
        for clause, short in (
            ("Their storage access token expired on Monday", "storage access token expired Monday"),
            ("We have two finalists for the senior backend role", "two finalists for senior backend role"),
            ("the fix went out yesterday", "fix went out"),
            (
                "the migration handled 50,000 accounts, including the largest ones",
                "migration handled 50,000 accounts",
            ),
            ("Ethan spot checked a few", "Ethan spot checked a few"),  # "a few" keeps its article
            ("The team thinks plan A is cheaper", "team thinks plan A is cheaper"),  # a letter, no article
        ):
            with self.subTest(clause):
                self.assertEqual(headline(clause), short)

    def test_a_verb_only_in_a_relative_clause_is_no_clause(self) -> None:
        self.assertFalse(readable("Someone who left the company last spring"))
        self.assertFalse(readable("Six vendors that need a security review"))
        self.assertTrue(readable("The billing service still uses keys that were created two years ago"))


class VaguenessTests(unittest.TestCase):
    def test_a_clause_about_what_was_said_around_it_is_not_used(self) -> None:

        for clause in ("We're ordering thirty new ones", "Ethan spot checked a few", "Ethan found the cause"):
            with self.subTest(clause):
                self.assertEqual(vagueness(clause), 1.0)
        self.assertEqual(vagueness("The storage access token expired on Monday"), 0.0)
