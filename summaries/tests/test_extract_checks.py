"""What is not work: turned down, talk about the meeting, opinions, postponed."""

from __future__ import annotations

import unittest

from summaries.extract import has_task_cue, looks_like_task
from summaries.extract.checks import is_meta, is_weak, turned_down
from summaries.extract.ledger import Item
from summaries.extract.turns import Names, to_turns
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments


class NotWorkTests(PhrasingCase):
    def test_rejected_offer_is_not_an_item(self) -> None:
        self.assertEqual(
            self.items(
                ("Bo Chan", "I can build a custom dashboard for the sales team."),
                ("Ann Lee", "No, let's not, the standard reports are enough."),
            ),
            [],
        )

    def test_we_and_meta_talk_are_not_items(self) -> None:
        self.assertEqual(
            self.items(
                ("Ann Lee", "I'll come to that in a minute. We'll revisit pricing next quarter."),
                ("Bo Chan", "I'd like to propose a hackathon."),
            ),
            [],
        )

    def test_opinions_and_postponed_work_are_not_items(self) -> None:
        self.assertEqual(
            self.items(
                ("Bo Chan", "I can confirm the numbers are right."),
                ("Cy Moss", "I'll revisit the pricing page next quarter."),
            ),
            [],
        )

    def test_running_the_meeting_is_not_work(self) -> None:
        self.assertEqual(self.items(("Ann Lee", "Okay, I'll call the meeting to order.")), [])


class CheckTests(unittest.TestCase):
    def test_looks_like_task(self) -> None:
        self.assertTrue(looks_like_task("I'll renew the domain tomorrow."))
        self.assertTrue(looks_like_task("Can you renew the domain?"))
        self.assertFalse(looks_like_task("The domain was renewed in March."))
        self.assertFalse(looks_like_task("I'll say it again, that's already done."))

    def test_a_task_cue_even_when_done(self) -> None:
        self.assertTrue(has_task_cue("I'll say it again, that's already done."))
        self.assertFalse(has_task_cue("Thanks, that helps."))

    def test_weak_clauses_have_no_task_of_their_own(self) -> None:
        self.assertTrue(is_weak("do that"))
        self.assertTrue(is_weak("have it ready by Monday"))
        self.assertFalse(is_weak("renew the domain"))

    def test_meeting_talk_is_meta(self) -> None:
        self.assertTrue(is_meta("say a word on pricing"))
        self.assertTrue(is_meta("get back to that later"))
        self.assertFalse(is_meta("renew the domain"))

    def test_an_offer_turned_down_by_the_next_speaker(self) -> None:
        talk = to_turns(
            segments(("Bo Chan", "I can repaint the lobby."), ("Ann Lee", "Let's not, it was done in May.")),
            Names(PEOPLE),
        )
        item = Item(owner="Bo Chan", task="repaint the lobby", turns=[0])
        self.assertTrue(turned_down(talk, 0, item))
        self.assertFalse(turned_down(talk, 1, item))
