"""The speaker's own promises and offers."""

from __future__ import annotations

import unittest

from summaries.extract import find_items
from summaries.extract.commitments import intended, promised
from summaries.extract.ledger import Status
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments


class CommitmentTests(PhrasingCase):
    def test_plain_commitment_with_date(self) -> None:
        (item,) = self.items(("Bo Chan", "I'll migrate the billing cron jobs by Friday."))
        self.assertEqual(item["owner"], "Bo Chan")
        self.assertIn("billing cron jobs", item["task"])
        self.assertEqual(item["due"], "Friday")
        self.assertEqual(item["segments"], [1])

    def test_let_me_with_a_work_verb(self) -> None:
        (item,) = self.items(
            ("Cy Moss", "Let me check who is here. Let me draft the customer letter tonight.")
        )
        self.assertEqual((item["owner"], item["due"]), ("Cy Moss", "tonight"))

    def test_do_that_takes_its_task_from_the_turn_before(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "We need someone to update the status page before Friday."),
            ("Bo Chan", "I'll do that."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "Friday"))
        self.assertIn("status page", item["task"])
        self.assertEqual(item["segments"], [1, 2])

    def test_an_offer_someone_takes_up(self) -> None:
        (item,) = self.items(
            ("Bo Chan", "I could pass her CV to the data team."),
            ("Ann Lee", "Please do, they are hiring."),
            ("Cy Moss", "I could also rewrite the whole site in Rust."),
            ("Ann Lee", "Let's not."),
        )
        self.assertEqual(item["owner"], "Bo Chan")
        self.assertIn("CV", item["task"])

    def test_let_me_do_that_takes_over_what_someone_meant_to_do(self) -> None:
        (item,) = self.items(
            (
                "Bo Chan",
                "I was going to reach out to the parent association about a survey, but I'm swamped.",
            ),
            ("Cy Moss", "Bo, you've got a lot, let me do that."),
            ("Bo Chan", "Great, thanks, it's yours."),
        )
        self.assertEqual(item["owner"], "Cy Moss")
        self.assertEqual(item["task"], "Reach out to the parent association about a survey")

    def test_date_said_after_the_commitment(self) -> None:
        items = self.items(
            (
                "Bo Chan",
                "I'll rerun the ablations with ten seeds. Um, hopefully by Friday, if the cluster behaves.",
            ),
            ("Cy Moss", "Then I'll do the competitor audit, I'll have it to you by the end of the month."),
        )
        self.assertEqual([i["due"] for i in items], ["Friday", "the end of the month"])

    def test_put_me_down_for(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Buying a van? Forget buying one then."),
            ("Bo Chan", "Put me down for renewing the lease, I'll sort it before it runs out."),
        )
        self.assertEqual(item["owner"], "Bo Chan")
        self.assertIn("lease", item["task"])
        self.assertNotIn("buying", item["task"])

    def test_two_commitments_in_one_sentence(self) -> None:
        (item,) = self.items(
            (
                "Bo Chan",
                "I'll try the press office again and, um, I'll file the draft Thursday noon either way.",
            )
        )
        self.assertEqual(item["due"], "Thursday noon")
        self.assertIn("press office", item["task"])
        self.assertIn("file the draft", item["task"])

    def test_offer_asked_as_a_question_and_taken_up(self) -> None:
        (item,) = self.items(
            ("Cy Moss", "One thing, the audit folder from last year is a mess. I could clean it up?"),
            ("Ann Lee", "Yes please, that'd be amazing."),
        )
        self.assertEqual(item["owner"], "Cy Moss")
        self.assertIn("audit folder", item["task"])

    def test_on_it_with_a_date(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "The four failures are all the Android login crash after the token refresh."),
            ("Bo Chan", "I'm on it, should have a fix up by tomorrow midday."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "tomorrow midday"))

    def test_when_could_you_asks_for_a_date(self) -> None:
        (item,) = self.items(
            ("Bo Chan", "I'll update the twenty four help center articles."),
            ("Ann Lee", "That would be amazing. When could you have them done?"),
            ("Bo Chan", "I'll have all of them updated by Friday the tenth."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "Friday the tenth"))

    def test_hedged_and_short_dated_commitments(self) -> None:
        items = self.items(
            ("Bo Chan", "We can, yeah. It's a config push. I should be able to do that by tomorrow evening."),
            ("Cy Moss", "That's mine. I'll get the inspector out Wednesday."),
            ("Ann Lee", "Will do, I'll start calling the patients after the morning rush."),
        )
        self.assertEqual(
            [(i["owner"], i["due"]) for i in items],
            [("Bo Chan", "tomorrow evening"), ("Cy Moss", "Wednesday"), ("Ann Lee", None)],
        )
        self.assertIn("config push", items[0]["task"])
        self.assertIn("inspector", items[1]["task"])
        self.assertTrue(items[2]["task"].startswith("Calling the patients"), items[2])

    def test_let_me_run_the_numbers(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Could we go to eight hundred for the equipment allowance?"),
            (
                "Bo Chan",
                "Finance would need to sign off. Let me run the numbers with them, I'll come back next week.",
            ),
        )
        self.assertEqual(item["owner"], "Bo Chan")
        self.assertIn("run the numbers", item["task"].lower())


class CommitmentStageTests(unittest.TestCase):
    def test_two_promises_in_the_order_said(self) -> None:
        self.assertEqual(
            promised("I'll renew the domain and I'll email the registrar.", taken_up=False),
            ["renew the domain", "email the registrar"],
        )

    def test_an_offer_counts_once_taken_up(self) -> None:
        s = "I could renew the domain."
        self.assertEqual(promised(s, taken_up=False), [])
        self.assertEqual(promised(s, taken_up=True), ["renew the domain"])

    def test_an_opinion_is_no_promise(self) -> None:
        self.assertEqual(promised("I can imagine the registrar is slow.", taken_up=False), [])

    def test_what_someone_meant_to_do(self) -> None:
        self.assertEqual(intended("I was going to renew the domain, but I'm away."), "renew the domain")
        self.assertIsNone(intended("The domain is fine."))

    def test_postponed_work_is_kept_closed(self) -> None:
        found = find_items(segments(("Bo Chan", "I'll revisit the logo at some point.")), PEOPLE)
        self.assertEqual(found.action_items, [])
        self.assertEqual([it.status for it in found.ledger.closed], [Status.POSTPONED])

    def test_work_for_a_colleague(self) -> None:
        (item,) = self.items_of(("Ann Lee", "Bo will renew the domain on Friday."))
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "Friday"))

    def items_of(self, *lines: tuple[str, str]) -> list:
        return find_items(segments(*lines), PEOPLE).action_items
