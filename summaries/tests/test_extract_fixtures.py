"""End to end: the extractor on small meetings of our own (summaries/fixtures/meetings)."""

from __future__ import annotations

import re
import unittest

from summaries.extract import extract
from summaries.tests.helpers import load_fixture


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
