"""Decisions the group settled or agreed to."""

from __future__ import annotations

import unittest

from summaries.extract import extract
from summaries.tests.extract_helpers import PEOPLE, seg


class DecisionTests(unittest.TestCase):
    people = PEOPLE

    def decisions(self, *lines: tuple[str, str]) -> list[str]:
        return extract([seg(i + 1, s, t) for i, (s, t) in enumerate(lines)], self.people)["decisions"]

    def test_agreed_with_its_own_words_does_not_take_the_reasons(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Bo Chan", "I'm fine with that. Our customers don't read press releases anyway."),
                ("Cy Moss", "Agreed, no press release for this launch."),
            ),
            ["No press release for this launch."],
        )

    def test_plain_agreed_takes_the_proposal(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Bo Chan", "But I think one month of service credit is fair."),
                ("Cy Moss", "Agreed. Ann, can you call their office manager today?"),
            ),
            ["One month of service credit is fair."],
        )

    def test_a_later_summary_line_replaces_the_decisions_it_repeats(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Ann Lee", "No referral program for this launch."),
                ("Bo Chan", "Dark mode is not part of this launch."),
                ("Ann Lee", "No dark mode, no referral program and no press release for this launch."),
            ),
            ["No dark mode, no referral program and no press release for this launch."],
        )

    def test_notes_and_meeting_talk_are_not_decisions(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Ann Lee", "Let's keep it quick, I've got a board prep at ten."),
                ("Bo Chan", "But yes, let's put it on the list. Let's put both cases in the FAQ."),
            ),
            [],
        )

    def test_tabled_and_held_are_decisions(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Ann Lee", "So the library renovation vote is tabled until the fall."),
                ("Bo Chan", "Okay, we'll hold the school lunch piece for next weekend then."),
            ),
            [
                "The library renovation vote is tabled until the fall.",
                "We'll hold the school lunch piece for next weekend then.",
            ],
        )

    def test_the_agenda_is_no_decision(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Ann Lee", "Let's review the flooded basement at the depot."),
                ("Bo Chan", "The pumps ran all night and the water is down to ten centimetres."),
            ),
            [],
        )

    def test_an_agreement_about_it_alone_is_no_decision_of_its_own(self) -> None:
        # the proposal agreed to is the decision; "let's not risk it" says nothing more
        self.assertEqual(
            self.decisions(
                ("Bo Chan", "I'd rather not move the servers before the audit."),
                ("Cy Moss", "Agreed, let's not risk it."),
            ),
            ["I'd rather not move the servers before the audit."],
        )

    def test_a_proposal_turned_down_says_what_it_was(self) -> None:
        self.assertEqual(
            self.decisions(
                ("Bo Chan", "Should we also give them a free month of storage, as a gesture?"),
                ("Ann Lee", "No, the discount is enough. Let's not set that precedent."),
            ),
            ["Turned down: give them a free month of storage, as a gesture (the discount is enough)."],
        )
        # "no problem" is no refusal
        self.assertEqual(
            self.decisions(
                ("Bo Chan", "Can we move the review to Friday?"),
                ("Ann Lee", "No problem, Friday works."),
            ),
            [],
        )
