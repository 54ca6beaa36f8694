"""The deterministic extractor on small transcripts of our own (no /work/shared needed)."""

from __future__ import annotations

import re
import unittest

from summaries.tests.helpers import load_fixture
from transcripts.extract import extract, find_due


def _names(name: str) -> set[str]:
    return {w.lower() for w in name.split()}


def matches(item: dict, owner: str, keywords: list[str]) -> bool:
    task = item["task"].lower()
    return bool(_names(item["owner"]) & _names(owner)) and all(
        any(re.search(rf"\b{re.escape(alt.lower())}", task) for alt in k.split("|")) for k in keywords
    )


class FixtureMeetingsTests(unittest.TestCase):
    def check(self, name: str) -> dict:
        segs, participants, expected = load_fixture(name)
        result = extract(segs, participants)
        items = result["action_items"]
        ids = {s["id"] for s in segs}
        for gold in expected["action_items"]:
            found = [i for i in items if matches(i, gold["owner"], gold["keywords"])]
            self.assertEqual(len(found), 1, f"{name}: {gold} in {items}")
            if gold["due"]:
                self.assertIn(gold["due"].lower(), (found[0]["due"] or "").lower(), found[0])
            else:
                self.assertIsNone(found[0]["due"], found[0])
        self.assertEqual(len(items), len(expected["action_items"]), items)
        for d in expected["distractors"]:
            for i in items:
                if d["owner"] and not _names(i["owner"]) & _names(d["owner"]):
                    continue
                self.assertFalse(matches(i, i["owner"], d["keywords"]), f"distractor {d} listed as {i}")
        for i in items:
            self.assertIn(i["owner"], participants)  # nobody from outside the meeting
            self.assertTrue(i["segments"] and set(i["segments"]) <= ids)  # traceable
        decisions = " ".join(result["decisions"]).lower()
        for word in expected["decisions"]:
            self.assertIn(word.lower(), decisions)
        return result

    def test_release_planning(self) -> None:
        result = self.check("release_planning")
        pilot = next(i for i in result["action_items"] if "pilot" in i["task"].lower())
        self.assertEqual(pilot["owner"], "Tomas Berg")  # Omar declined, Tomas took it

    def test_recap_correction_wins(self) -> None:
        result = self.check("release_planning")
        notes = next(i for i in result["action_items"] if "release notes" in i["task"].lower())
        self.assertEqual(notes["due"], "Monday")  # recap said Friday, the owner corrected it

    def test_handover_moves_the_task(self) -> None:
        result = self.check("clinic_handover")
        imp = next(i for i in result["action_items"] if "import" in i["task"].lower())
        self.assertEqual(imp["owner"], "Maria Lopez")

    def test_take_over_instead_and_other_phrasings(self) -> None:
        result = self.check("portal_planning")
        guide = next(i for i in result["action_items"] if "onboarding" in i["task"].lower())
        self.assertEqual((guide["owner"], guide["due"]), ("Ben Okafor", "end of day Wednesday"))

    def test_leave_it_with_you_and_recap_correction(self) -> None:
        result = self.check("website_relaunch")
        legal = next(i for i in result["action_items"] if i["owner"] == "Ruth Adler")
        self.assertIn("legal review", legal["task"])

    def test_small_talk_has_no_items(self) -> None:
        result = self.check("small_talk")
        self.assertEqual(result["decisions"], [])


def seg(i: int, speaker: str, text: str) -> dict:
    return {"id": i, "speaker": speaker, "text": text}


class PhrasingTests(unittest.TestCase):
    people = ["Ann Lee", "Bo Chan", "Cy Moss"]

    def items(self, *lines: tuple[str, str]) -> list[dict]:
        return extract([seg(i + 1, s, t) for i, (s, t) in enumerate(lines)], self.people)["action_items"]

    def test_plain_commitment_with_date(self) -> None:
        (item,) = self.items(("Bo Chan", "I'll migrate the billing cron jobs by Friday."))
        self.assertEqual(item["owner"], "Bo Chan")
        self.assertIn("billing cron jobs", item["task"])
        self.assertEqual(item["due"], "Friday")
        self.assertEqual(item["segments"], [1])

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

    def test_no_problem_is_an_acceptance(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Bo, can you order the replacement badges?"),
            ("Bo Chan", "No problem, I'll order them this afternoon."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "this afternoon"))

    def test_opinions_and_postponed_work_are_not_items(self) -> None:
        self.assertEqual(
            self.items(
                ("Bo Chan", "I can confirm the numbers are right."),
                ("Cy Moss", "I'll revisit the pricing page next quarter."),
            ),
            [],
        )

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

    def test_an_offer_someone_takes_up(self) -> None:
        (item,) = self.items(
            ("Bo Chan", "I could pass her CV to the data team."),
            ("Ann Lee", "Please do, they are hiring."),
            ("Cy Moss", "I could also rewrite the whole site in Rust."),
            ("Ann Lee", "Let's not."),
        )
        self.assertEqual(item["owner"], "Bo Chan")
        self.assertIn("CV", item["task"])

    def test_owner_outside_the_meeting_is_dropped(self) -> None:
        self.assertEqual(self.items(("Ann Lee", "Zed will send the contract to legal tomorrow.")), [])

    def test_repeated_commitment_is_kept_once(self) -> None:
        items = self.items(
            ("Bo Chan", "I'll update the load balancer config by Tuesday."),
            ("Cy Moss", "Thanks."),
            ("Bo Chan", "Like I said, I'll update the load balancer config by Tuesday."),
        )
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["segments"], [1, 3])

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

    def test_running_the_meeting_is_not_work(self) -> None:
        self.assertEqual(self.items(("Ann Lee", "Okay, I'll call the meeting to order.")), [])

    def test_date_said_after_the_commitment(self) -> None:
        items = self.items(
            (
                "Bo Chan",
                "I'll rerun the ablations with ten seeds. Um, hopefully by Friday, if the cluster behaves.",
            ),
            ("Cy Moss", "Then I'll do the competitor audit, I'll have it to you by the end of the month."),
        )
        self.assertEqual([i["due"] for i in items], ["Friday", "the end of the month"])

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

    def test_you_okay_to_and_a_hesitant_yes(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "Cy, you okay to chase the church group and get a firm number?"),
            ("Cy Moss", "Mm, fine, yeah. I'll ring their coordinator, um, Thursday probably."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Cy Moss", "Thursday"))
        self.assertIn("church group", item["task"])

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

    def test_on_it_with_a_date(self) -> None:
        (item,) = self.items(
            ("Ann Lee", "The four failures are all the Android login crash after the token refresh."),
            ("Bo Chan", "I'm on it, should have a fix up by tomorrow midday."),
        )
        self.assertEqual((item["owner"], item["due"]), ("Bo Chan", "tomorrow midday"))

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


class DecisionTests(unittest.TestCase):
    people = ["Ann Lee", "Bo Chan", "Cy Moss"]

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
