"""What is not work: turned down, talk about the meeting, opinions, postponed."""

from __future__ import annotations

from summaries.tests.extract_helpers import PhrasingCase


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
