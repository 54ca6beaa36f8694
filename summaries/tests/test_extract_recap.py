"""The recap and the owners' corrections after it."""

from __future__ import annotations

from summaries.tests.extract_helpers import PhrasingCase


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
