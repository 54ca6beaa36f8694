"""Due dates as said in a meeting."""

from __future__ import annotations

import unittest

from summaries.extract import find_due, find_dues


class DueDateTests(unittest.TestCase):
    def test_dates(self) -> None:
        cases = {
            "send it by Friday": "Friday",
            "done by the end of the month": "the end of the month",
            "ready by next Monday, the sixth": "next Monday, the sixth",
            "book the week of November tenth": "the week of November tenth",
            "we ship in the first quarter": None,
            "I'll call them tomorrow morning": "tomorrow morning",
            "have them by the twentieth": "the twentieth",
            "look into the bug support reported on Monday": None,
            "get the contract countersigned by Wednesday": "Wednesday",
            "I'm on leave from Monday": None,
            "mood boards for the first review on the ninth": "the ninth",
            "realistically end of next week": "end of next week",
        }
        for text, due in cases.items():
            self.assertEqual(find_due(text), due, text)

    def test_every_date_in_order(self) -> None:
        self.assertEqual(
            find_dues("It shipped on Monday; I'll fix it by Friday and ship the patch next week."),
            ["Friday", "next week"],
        )
