"""One action item per task and owner, owners in the meeting."""

from __future__ import annotations

from summaries.extract import ActionItem
from summaries.extract.ledger import Item
from summaries.extract.merge import TASK_CHARS, as_action_item, dedupe
from summaries.extract.turns import Names, to_turns
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments


class MergeTests(PhrasingCase):
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


def action(owner: str, task: str, due: str | None, ids: list[int]) -> ActionItem:
    return {"owner": owner, "task": task, "due": due, "segments": ids}


class MergeStageTests(PhrasingCase):
    def test_the_same_task_of_one_owner_is_kept_once(self) -> None:
        kept = dedupe(
            [
                action("Bo Chan", "Renew the domain", None, [3]),
                action("Cy Moss", "Renew the domain", None, [4]),
                action("Bo Chan", "Renew the domain with the registrar", "Friday", [1]),
            ]
        )
        self.assertEqual(
            kept,
            [
                action("Bo Chan", "Renew the domain", "Friday", [1, 3]),
                action("Cy Moss", "Renew the domain", None, [4]),
            ],
        )

    def test_an_action_item_points_at_segment_ids(self) -> None:
        talk = to_turns(segments(("Bo Chan", "Hi."), ("Bo Chan", "Hello.")), Names(PEOPLE))
        it = Item(owner="Bo Chan", task="x" * 400, turns=[1, 0, 1], due="Monday")
        got = as_action_item(it, it.text(), talk)
        self.assertEqual((len(got["task"]), got["segments"], got["due"]), (TASK_CHARS, [1, 2], "Monday"))

    def test_a_short_dated_promise_dates_the_owners_task(self) -> None:
        items = self.items(
            ("Bo Chan", "I'll renew the domain with the registrar."),
            ("Bo Chan", "Then I can have the domain by Friday."),
        )
        self.assertEqual(
            [(i["task"], i["due"], i["segments"]) for i in items], [(items[0]["task"], "Friday", [1, 2])]
        )
