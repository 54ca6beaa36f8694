"""Stage 1: segments as turns, speakers resolved to participants."""

from __future__ import annotations

import unittest

from summaries.extract.turns import Names, meeting_names, to_turns
from summaries.tests.extract_helpers import PEOPLE, segments


class NamesTests(unittest.TestCase):
    def test_first_last_and_full_names_resolve(self) -> None:
        names = Names(PEOPLE)
        self.assertEqual(
            [names.resolve(t) for t in ("bo", "Chan", "cy", None, "Zed")],
            ["Bo Chan", "Bo Chan", "Cy Moss", None, None],
        )

    def test_a_name_two_participants_share_resolves_to_nobody(self) -> None:
        names = Names(["Ann Lee", "Ann Moss"])
        self.assertIsNone(names.resolve("Ann"))
        self.assertEqual(names.resolve("Moss"), "Ann Moss")

    def test_addressed_skips_the_speaker(self) -> None:
        names = Names(PEOPLE)
        self.assertEqual(names.addressed("Bo, Cy and I will look.", exclude="Bo Chan"), "Cy Moss")
        self.assertIsNone(names.addressed("Thanks, everyone.", exclude="Bo Chan"))

    def test_without_participants_the_speakers_are_the_names(self) -> None:
        names = meeting_names(segments(("Ann Lee", "Hi."), ("Bo Chan", "Hello.")), [])
        self.assertEqual(names.full, ["Ann Lee", "Bo Chan"])


class TurnsTests(unittest.TestCase):
    def test_turns_keep_the_label_and_resolve_the_speaker(self) -> None:
        turns = to_turns(segments(("Bo", "Fine. I'll look."), ("Zed Roe", "Hi.")), Names(PEOPLE))
        self.assertEqual([(t.index, t.segment_id) for t in turns], [(0, 1), (1, 2)])
        self.assertEqual((turns[0].label, turns[0].speaker), ("Bo", "Bo Chan"))
        self.assertEqual(turns[1].speaker, "Zed Roe")  # nobody in the meeting: the label stays
        self.assertEqual(turns[0].sentences, ("Fine.", "I'll look."))
