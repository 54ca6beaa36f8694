"""The recap and the owners' corrections after it."""

from __future__ import annotations

import unittest

from summaries.extract.ledger import Item, Ledger
from summaries.extract.recap import merge_recap, read_correction
from summaries.extract.turns import Names, to_turns
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments


class RecapTests(PhrasingCase):
    def test_owner_corrects_a_date_after_the_recap(self) -> None:
        items = self.items(
            ("Bo Chan", "I'll rewrite the failover runbook by Thursday."),
            ("Cy Moss", "I'll draft three mood boards for the first review on the ninth."),
            ("Ann Lee", "Okay, I'll write the customer report."),
            ("Ann Lee", "Quick recap. Bo, runbook Thursday. Cy, mood boards on the ninth."),
            ("Bo Chan", "Uh, Friday for the runbook actually, I'm out Thursday."),
            ("Cy Moss", "The eleventh, sorry, I told you wrong. The ninth is a holiday."),
        )
        self.assertEqual([i["due"] for i in items], ["Friday", "the eleventh", None])

    def test_a_recap_date_taken_back_or_confirmed(self) -> None:
        items = self.items(
            ("Ann Lee", "The drive is in three weeks and we have thirty volunteers."),
            ("Bo Chan", "I'll chase the church group for a firm number on Thursday."),
            ("Cy Moss", "I'll share the blog post draft on Friday."),
            ("Ann Lee", "To wrap up. Bo chases the church group Thursday. Cy shares the draft on Friday."),
            ("Bo Chan", "Not Thursday for the church, sorry, Friday. Their office is closed Thursday."),
            ("Cy Moss", "Thursday, actually. Tomorrow."),
        )
        self.assertEqual([i["due"] for i in items], ["Friday", "Thursday"])


class RecapStageTests(unittest.TestCase):
    def test_a_recap_line_gives_an_item_its_owner_and_date(self) -> None:
        items = [Item(owner="Bo Chan", task="renew the domain with the registrar", turns=[0])]
        merge_recap(items, "Cy Moss", "renews the domain with the registrar", "Friday", 5)
        self.assertEqual([(i.owner, i.due, i.turns) for i in items], [("Cy Moss", "Friday", [0, 5])])

    def test_a_recap_line_about_no_item_adds_one_unless_told_not_to(self) -> None:
        items: list[Item] = []
        merge_recap(items, "Cy Moss", "order the new badges", None, 5, create=False)
        self.assertEqual(items, [])
        merge_recap(items, "Cy Moss", "order the new badges", None, 5)
        self.assertEqual([(i.owner, i.task) for i in items], [("Cy Moss", "order the new badges")])

    def test_the_owner_corrects_a_date_after_the_recap(self) -> None:
        ledger = Ledger()
        ledger.add(Item(owner="Bo Chan", task="renew the domain", turns=[3], due="Monday"))
        talk = to_turns(
            segments(*[("Bo Chan", "Sorry, Tuesday for the domain, not Monday.")] * 5), Names(PEOPLE)
        )
        read_correction(talk[4], ledger, recap_from=3)
        self.assertEqual((ledger.items[0].due, ledger.items[0].turns), ("Tuesday", [3, 4]))
