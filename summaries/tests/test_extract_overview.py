"""The overview: 3-7 bullets in the third person, grouped by topic, within 120 words per 10
minutes of meeting, each a clean sentence linked to the segments it came from."""

from __future__ import annotations

import re

from summaries.extract import extract
from summaries.extract.figures import with_digits
from summaries.extract.overview import (
    _CHATTER,
    CHATTER_WEIGHT,
    MAX_BULLETS,
    MIN_BULLETS,
    budget_words,
    bullet_count,
    pick,
    third_person,
)
from summaries.extract.pipeline import meeting_minutes
from summaries.extract.summary import Candidate, has_number
from summaries.extract.text import content
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments

FILLER_START_RE = re.compile(r"^(?:so|okay|ok|well|yeah|yes|honestly|basically|and|but|i think)\b", re.I)


def timed(segs: list, minutes: float) -> list:
    """The segments spread evenly over ``minutes``."""
    n = len(segs)
    return [dict(s, start=minutes * 60 * k / n, end=minutes * 60 * (k + 1) / n) for k, s in enumerate(segs)]


def synthetic(lines: int) -> list:
    """A meeting of distinct facts: every line names its own site, crew, town and cause."""
    places = ("depot", "clinic", "school", "harbour", "bakery", "garage", "library", "studio")
    causes = ("audit", "storm", "upgrade", "recall", "strike", "outage")
    return segments(
        *(
            (
                PEOPLE[i % 3],
                f"The {places[i % 8]}{i} crew{i} shipped cargo{i} parcels to town{i} after the {causes[i % 6]}{i} delay.",
            )
            for i in range(lines)
        )
    )


class ThirdPersonTests(PhrasingCase):
    def test_i_becomes_the_speaker(self) -> None:
        for said, written in (
            ("I found the cause last night", "Ethan found the cause last night"),
            ("I've seen this before", "Ethan has seen this before"),
            ("I think we should wait", "Ethan thinks we should wait"),
            ("I can't test it end to end", "Ethan can't test it end to end"),
            ("I spot checked a few by hand", "Ethan spot checked a few by hand"),
            ("I'm still on the retry work", "Ethan is still on the retry work"),
            ("We fixed my script", "We fixed Ethan's script"),
            ("My team blocked the afternoon", "Ethan's team blocked the afternoon"),
            ("The build is green", "The build is green"),
        ):
            with self.subTest(said):
                self.assertEqual(third_person(said, "Ethan"), written)


class OverviewTests(PhrasingCase):
    def meeting(self) -> list:
        return segments(
            ("Ann Lee", "Welcome everyone, this is the quarterly review of the warehouse project."),
            (
                "Bo Chan",
                "So, honestly, I counted the inventory on Monday, and the loading dock has forty two pallets left.",
            ),
            ("Cy Moss", "The forklift battery failed twice this week, which stopped the night shift."),
            ("Ann Lee", "How much would a new battery cost?"),
            ("Cy Moss", "A new battery costs about nine hundred dollars from the usual supplier."),
            (
                "Bo Chan",
                "Yeah, the customer portal had three outages in March, all caused by the expired certificate.",
            ),
            ("Ann Lee", "We agreed to renew certificates automatically from now on."),
        )

    def test_bullets_are_clean_sentences_linked_to_their_segments(self) -> None:
        segs = timed(self.meeting(), 4.0)
        result = extract(segs, PEOPLE)
        bullets = result["summary"].split("\n")
        self.assertGreaterEqual(len(bullets), MIN_BULLETS)
        self.assertLessEqual(len(bullets), MAX_BULLETS)
        self.assertEqual(len(result["summary_segments"]), len(bullets))
        said = {s["id"]: content(with_digits(f"{s['speaker']} {s['text']}")) for s in segs}
        for bullet, ids in zip(bullets, result["summary_segments"], strict=True):
            with self.subTest(bullet):
                self.assertNotRegex(bullet, r"^[A-Z][a-z]+:")  # no "Bo: ..." quotes
                self.assertRegex(bullet, r"^[A-Z0-9].*[a-z0-9]\.$")  # a sentence: capital ... full stop
                self.assertNotRegex(bullet, FILLER_START_RE)
                self.assertNotRegex(bullet, r"\b(?:honestly|you know|I)\b")
                self.assertNotIn("?", bullet)
                self.assertTrue(ids and set(ids) <= set(said), ids)
                # the link is right: every content word of the bullet was said in its segments
                self.assertLessEqual(content(bullet), set().union(*(said[i] for i in ids)))
        self.assertIn("42 pallets", result["summary"])  # figures are facts, in digits
        self.assertIn("$900", result["summary"])
        self.assertIn("Bo counted", result["summary"])  # "I counted" said by Bo

    def test_length_budget_follows_the_duration(self) -> None:
        segs = synthetic(120)
        for minutes in (2.0, 5.0, 10.0, 20.0):
            with self.subTest(minutes=minutes):
                result = extract(timed(segs, minutes), PEOPLE)
                n = len(result["summary"].split())
                self.assertLessEqual(n, 12 * minutes)  # issue 13: 120 words per 10 minutes
                self.assertGreaterEqual(n, 0.6 * budget_words(minutes))  # the budget is used
                bullets = len(result["summary"].split("\n"))
                self.assertLessEqual(bullets, bullet_count(minutes))
                if minutes >= 5:  # room for the bullets of the meeting's length (lines are 13 words)
                    self.assertEqual(bullets, bullet_count(minutes))
        self.assertEqual((bullet_count(2), bullet_count(10), bullet_count(20)), (3, 4, 6))

    def test_a_long_meeting_keeps_the_hard_cap_and_seven_bullets(self) -> None:
        segs = timed(synthetic(600), 90.0)
        summary = extract(segs, PEOPLE)["summary"]
        self.assertLessEqual(len(summary.split()), 120 * 9)
        self.assertGreaterEqual(len(summary.split()), 0.6 * 120 * 9)
        self.assertEqual(len(summary.split("\n")), MAX_BULLETS)

    def test_untimed_segments_take_their_length_from_the_words(self) -> None:
        segs = synthetic(60)  # 14 words a line: 6 minutes at 140 words a minute
        self.assertIsNone(meeting_minutes(segs))
        n = len(extract(segs, PEOPLE)["summary"].split())
        self.assertLessEqual(n, 12 * 6)
        self.assertGreater(n, 12 * 3)

    def test_what_a_decision_says_is_not_repeated(self) -> None:
        segs = timed(
            segments(
                ("Ann Lee", "The supplier raised the pallet price by twelve percent in May."),
                ("Bo Chan", "We decided to switch the pallet supplier to Norrland Freight."),
                ("Cy Moss", "The night shift finished the stock count two days early."),
            ),
            3.0,
        )
        result = extract(segs, PEOPLE)
        self.assertTrue(any("Norrland" in d for d in result["decisions"]), result["decisions"])
        self.assertNotIn("Norrland", result["summary"])
        self.assertIn("stock count", result["summary"])


def cand(turn: int, sentence: str) -> Candidate:
    return Candidate(turn, turn, "Ann Lee", sentence, turn, sentence)


class PickTests(PhrasingCase):
    def test_words_that_run_the_conversation_weigh_little(self) -> None:
        weights = {w: 1.0 for w in content("thanks good decision think want gravel quarry flooded pumps")}
        for w in _CHATTER & weights.keys():
            weights[w] = CHATTER_WEIGHT
        chat = cand(1, "Thanks, good decision, I think we want")
        fact = cand(2, "Gravel quarry flooded, pumps down")
        self.assertEqual(pick([chat, fact], weights, set(), 6), [fact])

    def test_she_is_the_person_the_sentence_named(self) -> None:
        segs = timed(
            segments(
                ("Ann Lee", "We have two candidates for the warehouse lead, Marta and Ivo."),
                (
                    "Bo Chan",
                    "Ivo was solid in the forklift test. Marta was great on the night shift, but she kept missing the safety briefings.",
                ),
            ),
            4.0,
        )
        summary = extract(segs, PEOPLE)["summary"]
        self.assertNotIn("Ivo kept missing", summary)
        self.assertIn("Marta kept missing safety briefings", summary)

    def test_a_dropped_tail_is_not_weighed(self) -> None:
        # the tail after ", which" is not written, so its words must not make the clause win
        segs = timed(
            segments(
                (
                    "Ann Lee",
                    "The odd one is the archive server, which runs an unpatched kernel from twenty nineteen with open ports.",
                ),
                ("Bo Chan", "The loading dock scanners lost their network twice during the inventory count."),
            ),
            1.0,
        )
        summary = extract(segs, PEOPLE)["summary"]
        self.assertIn("scanners", summary)
        self.assertNotIn("odd one is archive server.", summary)


class FigureTests(PhrasingCase):
    def test_a_number_in_a_name_is_no_figure(self) -> None:
        for sentence, figure in (
            ("The vendor sent their SOC 2 report", False),
            ("Q3 planning starts soon", False),
            ("We moved the laptops to Windows 11", False),
            ("In 2024 the depot grew", True),
            ("Forty one recordings are back", True),
            ("The crane costs 900 dollars", True),
        ):
            with self.subTest(sentence):
                self.assertEqual(has_number(sentence), figure)
