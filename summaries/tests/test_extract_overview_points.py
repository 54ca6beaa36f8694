"""How many of a short meeting's points the overview covers within its budget, on meetings of our
own (summaries/fixtures/meetings/<name>.json with <name>.points.json), written to check that the
overview's compression is not fitted to the evaluation set.

A point counts as covered as the evaluation set's scorer counts it: at least half of its content
words (its stop words, not the extractor's longer list) appear in the overview or the decisions,
figures in digits or in words alike."""

from __future__ import annotations

import json
import re
import unittest
from pathlib import Path

from summaries.extract import extract
from summaries.extract.figures import with_digits
from summaries.extract.overview import WORDS_PER_MINUTE
from summaries.extract.pipeline import meeting_minutes
from summaries.extract.text import stem, words

MEETINGS = Path(__file__).resolve().parent.parent / "fixtures" / "meetings"


# the scorer's stop words (eval-dev/score.py)
SCORER_STOP = set(
    """a an the and or but if then than so of to in on at by for from with about into onto over under up down out
    off is are was were be been being am do does did done have has had having will would shall should can could may
    might must it its it's this that these those there here their they them we us our you your he him his she her i
    me my mine ours yours who whom whose which what when where why how all any each both few more most other some
    such no nor not only own same too very just also as per via until till before after again once now let let's
    get got make made going go""".split()
)


def stems(text: str) -> set[str]:
    return {stem(re.sub(r"[,']", "", w)) for w in words(with_digits(text)) if w not in SCORER_STOP}


def covered(points: list[str], text: str) -> int:
    said = stems(text)
    return sum(2 * len(stems(p) & said) >= len(stems(p)) for p in points)


class ShortMeetingPointsTests(unittest.TestCase):
    def run_meeting(self, name: str) -> tuple[dict, dict, float]:
        data = json.loads((MEETINGS / f"{name}.json").read_text(encoding="utf-8"))
        gold = json.loads((MEETINGS / f"{name}.points.json").read_text(encoding="utf-8"))
        segs = [{"id": i, **s} for i, s in enumerate(data["segments"])]
        result = extract(segs, data["participants"])
        minutes = meeting_minutes(segs)
        assert minutes is not None
        return result, gold, minutes

    def check(self, name: str, at_least: int) -> None:
        result, gold, minutes = self.run_meeting(name)
        # the budget holds, counted as a reader counts words ("$4,500" is one)
        self.assertLessEqual(len(result["summary"].split()), WORDS_PER_MINUTE * minutes)
        text = result["summary"] + "\n" + "\n".join(result["decisions"])
        self.assertGreaterEqual(covered(gold["summary_points"], text), at_least, result["summary"])
        for bullet in result["summary"].split("\n"):
            self.assertNotRegex(bullet, r"\b(?:the|a|an)\s+(?!few\b|lot\b)", bullet)  # headline style

    def test_office_move(self) -> None:
        # 1.4 minutes: a 16-word overview for 6 points; score.py: 3 of 6 (2 before the headline style)
        self.check("office_move", 3)

    def test_payment_outage(self) -> None:
        # 1.2 minutes: a 14-word overview for 5 points; score.py: 2 of 5. (It was 3 while the
        # opening "Let's review Saturday's checkout outage." was listed as a decision: it is the
        # agenda, not a decision, and 14 words cannot hold it with two other facts.)
        self.check("payment_outage", 2)
