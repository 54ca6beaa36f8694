"""Task texts are clean imperative phrases: no "re: <what was said before>" fragments."""

from __future__ import annotations

from summaries.extract.tidy import tidy_task
from summaries.tests.extract_helpers import PhrasingCase


class TidyTaskTests(PhrasingCase):
    def test_conversation_around_a_task_is_left_out(self) -> None:
        for said, task in (
            (
                "Send everyone the updated forecast by Friday — re: That helps me a lot with the forecast",
                "Send everyone the updated forecast by Friday",
            ),
            (
                "Ping their account manager today — re: That's been more than a week now",
                "Ping their account manager today",
            ),
            (
                "Put the offer together — re: Then the decision is that we make Owen an offer",
                "Put the offer together",
            ),
        ):
            with self.subTest(said):
                self.assertEqual(tidy_task(said), task)

    def test_a_pronoun_gets_what_it_stood_for(self) -> None:
        self.assertEqual(
            tidy_task("Handle those myself — re: We have six vendors that need a security review"),
            "Handle the six vendors that need a security review",
        )

    def test_a_statement_that_says_what_it_is_about_is_kept_as_words_of_its_own(self) -> None:
        self.assertEqual(
            tidy_task(
                "Raise the threshold by tomorrow — re: We had three disk usage alerts overnight, all false alarms"
            ),
            "Raise the threshold by tomorrow (about three disk usage alerts overnight, all false alarms)",
        )

    def test_a_task_said_in_two_ways_keeps_both(self) -> None:
        text = "Own the webinar plan — bring a draft plan to next Thursday's meeting"
        self.assertEqual(tidy_task(text), text)

    def test_whole_meeting_has_no_fragments(self) -> None:
        items = self.items(
            ("Ann Lee", "We have six vendors that need a security review."),
            ("Bo Chan", "I'll handle those myself."),
        )
        self.assertEqual([i["task"] for i in items], ["Handle the six vendors that need a security review"])
