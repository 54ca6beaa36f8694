"""Requests become items once the addressee (or a colleague) takes them on."""

from __future__ import annotations

import unittest

from summaries.extract import find_items
from summaries.extract.ledger import Status
from summaries.extract.requests import Request, answer, read_request
from summaries.extract.turns import Names, to_turns
from summaries.extract.types import Turn
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments


class RequestTests(PhrasingCase):
    def test_request_accepted(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Can you renew the TLS certificate for the status site, Cy?"),
            ("Cy Moss", "Sure, I'll do it tomorrow."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Cy Moss", "tomorrow"))
        self.assertIn("TLS certificate", item["task"])
        self.assertEqual(item["segments"], [1, 2])

    def test_request_declined_is_not_an_item(self) -> None:
        self.assertEqual(
            self.items(
                ("Ann Lee", "Bo, could you rewrite the onboarding wiki page?"),
                ("Bo Chan", "I'd rather not, I don't have the time this sprint."),
            ),
            [],
        )

    def test_already_done_is_not_an_item(self) -> None:
        self.assertEqual(
            self.items(
                ("Ann Lee", "Cy, can you rotate the database password?"),
                ("Cy Moss", "That's already done, I rotated it on Monday."),
            ),
            [],
        )

    def test_no_problem_is_an_acceptance(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Bo, can you order the replacement badges?"),
            ("Bo Chan", "No problem, I'll order them this afternoon."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "this afternoon"))

    def test_questions_for_information_are_not_tasks(self) -> None:
        self.assertEqual(
            self.items(
                ("Ann Lee", "Can you remind me what the budget was, Bo?"),
                ("Bo Chan", "Sure, forty thousand."),
                ("Ann Lee", "Cy, can you hear me?"),
                ("Cy Moss", "Yes."),
            ),
            [],
        )

    def test_request_asked_the_other_way_round(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Bo, any chance you could add an alert on replication lag?"),
            ("Bo Chan", "Yep, sure. I'll get that in, um, probably by Wednesday."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "Wednesday"))
        self.assertIn("replication lag", item["task"])

    def test_you_will_question_and_i_need_are_requests(self) -> None:
        items = self.items(
            ("Ann Lee", "Okay. Cy, you'll circulate the minutes?"),
            ("Cy Moss", "Yes, I'll get the minutes out by Monday."),
            ("Ann Lee", "Bo, I need the forecast update for the board deck, please."),
            ("Bo Chan", "Sure."),
        )
        self.assertEqual([(i["owner"], i["due"]) for i in items], [("Cy Moss", "Monday"), ("Bo Chan", None)])
        self.assertIn("minutes", items[0]["task"])
        self.assertIn("forecast", items[1]["task"])

    def test_date_in_the_acceptance(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Bo, could you bring back costs for both bus options?"),
            ("Bo Chan", "Certainly. We'll have those numbers by March fourteenth."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "March fourteenth"))

    def test_declined_request_taken_by_a_colleague(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "And their champion went quiet. Bo, can you call her this week?"),
            ("Bo Chan", "I'd rather not, honestly, Cy knows her better."),
            ("Cy Moss", "Yeah, I'll call her."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Cy Moss", "this week"))
        self.assertIn("call", item["task"].lower())

    def test_request_with_a_pronoun_keeps_what_it_refers_to(self) -> None:
        (item,) = self.items(
            (
                "Ann Lee",
                "One more thing, we've got a summer intern starting in June. Bo, can you mentor them?",
            ),
            ("Bo Chan", "I really can't take that on right now."),
            ("Cy Moss", "I'll mentor them, it's fine."),
        )
        self.assertEqual(item["owner"], "Cy Moss")
        self.assertIn("intern", item["task"])

    def test_you_okay_to_and_a_hesitant_yes(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Cy, you okay to chase the church group and get a firm number?"),
            ("Cy Moss", "Mm, fine, yeah. I'll ring their coordinator, um, Thursday probably."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Cy Moss", "Thursday"))
        self.assertIn("church group", item["task"])

    def test_request_object_before_the_question_and_a_later_date(self) -> None:
        items = self.items(
            ("Ann Lee", "Great. Bo, the data graphic, the rates over ten years, can you build that?"),
            ("Bo Chan", "Uh, yes, but I need the numbers from Cy first."),
            ("Cy Moss", "I'll send you the spreadsheet after this call."),
            ("Bo Chan", "Then I can have the graphic by Friday morning."),
        )
        self.assertEqual(
            [(i["owner"], i["due"]) for i in items], [("Bo Chan", "Friday morning"), ("Cy Moss", None)]
        )
        self.assertIn("data graphic", items[0]["task"])

    def test_would_you_be_able_to_and_can_i_ask_you_to(self) -> None:
        items = self.items(
            ("Ann Lee", "Bo, would you be able to send a note to staff about the VPN?"),
            ("Bo Chan", "Yeah, no problem. I'll get a message out this afternoon."),
            ("Ann Lee", "Cy, can I ask you to call the supplier and push the delivery a week?"),
            ("Cy Moss", "Yep, leave it with me. I'll call them first thing tomorrow."),
        )
        self.assertEqual(
            [(i["owner"], i["due"]) for i in items], [("Bo Chan", "this afternoon"), ("Cy Moss", "tomorrow")]
        )
        self.assertIn("send a note to staff", items[0]["task"].lower())
        self.assertIn("supplier", items[1]["task"])

    def test_handed_over_task_named_in_an_earlier_turn(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Um, the backup restore test, Bo, that was yours, right?"),
            ("Bo Chan", "It was, but I won't get to it. Cy, any chance you could take it?"),
            ("Cy Moss", "Yeah, sure, I'll take it. I'll do it Thursday."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Cy Moss", "Thursday"))
        self.assertIn("restore test", item["task"])

    def test_object_before_can_you_do_it_and_a_colleague_steps_in(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Great. Bo, the audit of the controlled drugs register, can you do it?"),
            ("Bo Chan", "Honestly I can't this week, I'm covering reception."),
            ("Cy Moss", "I'll do it, I did the last one."),
        )
        self.assertEqual(item["owner"], "Cy Moss")
        self.assertIn("drugs register", item["task"])


def request_in(*lines: tuple[str, str], at: int = 0) -> tuple[Request, list[Turn]]:
    talk = to_turns(segments(*lines), Names(PEOPLE))
    req = read_request(talk[at], 0, talk, Names(PEOPLE))
    assert req is not None
    return req, talk


class RequestStageTests(unittest.TestCase):
    def test_a_request_by_name(self) -> None:
        req, _ = request_in(("Ann Lee", "Cy, could you renew the domain?"))
        self.assertEqual((req.addressee, req.clause, req.open), ("Cy Moss", "renew the domain", False))

    def test_you_is_the_previous_speaker(self) -> None:
        req, _ = request_in(("Bo Chan", "The domain expires soon."), ("Ann Lee", "Can you renew it?"), at=1)
        self.assertEqual(req.addressee, "Bo Chan")
        self.assertTrue(req.weak)

    def test_asked_of_anyone(self) -> None:
        req, _ = request_in(("Ann Lee", "Can somebody renew the domain?"))
        self.assertEqual((req.addressee, req.open), (None, True))

    def test_not_a_request_for_work(self) -> None:
        talk = to_turns(segments(("Ann Lee", "Bo, can you tell us the budget?")), Names(PEOPLE))
        self.assertIsNone(read_request(talk[0], 0, talk, Names(PEOPLE)))

    def test_answers_and_their_status(self) -> None:
        cases = [
            ("Sure, I'll do it today.", "Cy Moss", None),
            ("I can't, I'm out all week.", None, Status.DECLINED),
            ("That's already done.", None, Status.DONE),
            ("Thanks.", None, None),
        ]
        for reply, owner, status in cases:
            req, talk = request_in(("Ann Lee", "Cy, could you renew the domain?"), ("Cy Moss", reply))
            ans = answer(req, talk)
            self.assertEqual((ans.owner, ans.status), (owner, status), reply)

    def test_a_declined_request_is_kept_closed(self) -> None:
        found = find_items(
            segments(("Ann Lee", "Cy, could you renew the domain?"), ("Cy Moss", "I'd rather not.")), PEOPLE
        )
        self.assertEqual(found.action_items, [])
        self.assertEqual(
            [(it.owner, it.task, it.status) for it in found.ledger.closed],
            [("Cy Moss", "renew the domain", Status.DECLINED)],
        )
