"""The overview: 3-7 bullets in the third person, grouped by topic, bounded in length, each
linked to the segments it came from."""

from __future__ import annotations

from summaries.extract import extract
from summaries.extract.overview import MAX_BULLETS, MAX_WORDS, MIN_BULLETS, WORDS_PER_MINUTE, third_person
from summaries.extract.pipeline import meeting_minutes
from summaries.tests.extract_helpers import PEOPLE, PhrasingCase, segments


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
                "I counted the inventory on Monday, and the loading dock has forty two pallets left.",
            ),
            ("Cy Moss", "The forklift battery failed twice this week, which stopped the night shift."),
            ("Ann Lee", "How much would a new battery cost?"),
            ("Cy Moss", "A new battery costs about nine hundred dollars from the usual supplier."),
            (
                "Bo Chan",
                "The customer portal had three outages in March, all caused by the expired certificate.",
            ),
            ("Ann Lee", "We agreed to renew certificates automatically from now on."),
        )

    def test_bullets_without_quotes_with_their_segments(self) -> None:
        result = extract(self.meeting(), PEOPLE)
        bullets = result["summary"].split("\n")
        self.assertGreaterEqual(len(bullets), MIN_BULLETS)
        self.assertLessEqual(len(bullets), MAX_BULLETS)
        self.assertEqual(len(result["summary_segments"]), len(bullets))
        for bullet, ids in zip(bullets, result["summary_segments"], strict=True):
            self.assertFalse(any(bullet.startswith(f"{p.split()[0]}:") for p in PEOPLE), bullet)
            self.assertTrue(bullet.endswith("."), bullet)
            self.assertTrue(ids and set(ids) <= set(range(1, 8)), ids)
        text = result["summary"]
        self.assertIn("forty two pallets", text)  # figures are facts
        self.assertNotRegex(text, r"\bI\b")  # "I counted ..." would be "Bo counted ..."
        self.assertNotIn("?", text)

    def test_length_follows_the_meeting(self) -> None:
        for minutes in (1.0, 3.0):
            timed = [
                dict(s, start=minutes * 60 * k / 7, end=minutes * 60 * (k + 1) / 7)
                for k, s in enumerate(self.meeting())
            ]
            self.assertAlmostEqual(meeting_minutes(timed), minutes)
            words = len(extract(timed, PEOPLE)["summary"].split())
            self.assertLessEqual(words, max(WORDS_PER_MINUTE * minutes, 24))
        self.assertIsNone(meeting_minutes(self.meeting()))  # no times: estimated from the words

    def test_a_long_meeting_stays_within_the_bounds(self) -> None:
        lines = [
            (
                "Bo Chan",
                " ".join(f"{w}{i}" for w in ("depot", "shelf", "crate", "truck", "route", "dock") * 2) + ".",
            )
            for i in range(400)
        ]
        summary = extract(segments(*lines), PEOPLE)["summary"]
        self.assertLessEqual(len(summary.split()), MAX_WORDS)
        self.assertGreaterEqual(len(summary.split()), MAX_WORDS - 20)
        self.assertEqual(len(summary.split("\n")), MAX_BULLETS)  # 34 minutes at 140 words a minute
