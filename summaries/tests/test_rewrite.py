"""A larger model rewriting the overview: its sentences are kept only when grounded in the
bullet's segments and within the budget; the default 135M model does not rewrite."""

from __future__ import annotations

from unittest import mock

from django.conf import settings
from django.test import SimpleTestCase, override_settings

from summaries import summarizer
from summaries.extract import SegmentIn, content, extract, overview_budget
from summaries.rewrite import ask_rewrite, choose, grounded, model_rewrites
from summaries.tests.helpers import MEETINGS

SEGMENTS: list[SegmentIn] = [
    {"id": 7, "speaker": "Ethan Cole", "text": "I renewed the storage token and deployed a fix at eleven."},
    {"id": 8, "speaker": "Diana Ross", "text": "All forty one recordings are back in the library."},
]
BULLETS = [
    "Ethan renewed the storage token and deployed a fix at eleven.",
    "All forty one recordings are back.",
]
LINKS = [[7], [8]]


class ChooseTests(SimpleTestCase):
    def test_a_grounded_sentence_replaces_its_bullet(self) -> None:
        written = ["Ethan renewed the storage token and deployed a fix", "All forty one recordings are back"]
        got = choose(BULLETS, LINKS, written, SEGMENTS, budget=40)
        self.assertEqual(got, ["Ethan renewed the storage token and deployed a fix.", BULLETS[1]])

    def test_words_not_said_in_the_bullets_segments_keep_the_extractors_bullet(self) -> None:
        self.assertFalse(grounded("The customer got a full refund for the year", SEGMENTS[1]["text"]))
        # said in the meeting, but not in the segment of that bullet: not grounded there
        written = ["Ethan renewed the storage token", "Ethan deployed the storage token fix"]
        got = choose(BULLETS, LINKS, written, SEGMENTS, budget=40)
        self.assertEqual(got[1], BULLETS[1])
        self.assertEqual(got[0], "Ethan renewed the storage token.")

    def test_a_sentence_that_breaks_the_budget_is_not_used(self) -> None:
        longer = ["Ethan renewed the storage token and then he deployed a fix at about eleven", ""]
        self.assertEqual(choose(BULLETS, LINKS, longer, SEGMENTS, budget=16), BULLETS)

    def test_an_unusable_answer_keeps_every_bullet(self) -> None:
        self.assertEqual(choose(BULLETS, LINKS, [], SEGMENTS, budget=40), BULLETS)


class RealModelTests(SimpleTestCase):
    """With the default model installed: it is not a rewriter, and its answer, asked anyway, goes
    through the same grounding (whatever it writes, each line is grounded or the extractor's)."""

    def test_default_model_keeps_the_extractive_overview_and_grounding_holds(self) -> None:
        llm = summarizer.get_engine()
        self.addCleanup(summarizer._close_engine)
        self.assertIn("135M", str(llm.metadata.get("general.size_label")), settings.LLM_MODEL_PATH)
        self.assertFalse(model_rewrites(llm))
        segs = [dict(s, start=30.0 * k, end=30.0 * (k + 1)) for k, s in enumerate(SEGMENTS * 3)]
        base = extract(segs, ["Ethan Cole", "Diana Ross"])
        bullets = base["summary"].split("\n")
        written = ask_rewrite(llm, bullets, base["decisions"], 128)
        got = choose(bullets, base["summary_segments"], written, segs, budget=36)
        self.assertEqual(len(got), len(bullets))
        text_of = {s["id"]: f"{s['speaker']} {s['text']}" for s in segs}
        for line, ids in zip(got, base["summary_segments"], strict=True):
            said = content(" ".join(text_of[i] for i in ids))
            self.assertTrue(line in bullets or grounded(line, " ".join(text_of[i] for i in ids)), line)
            self.assertTrue(content(line) & said, line)
        self.assertLessEqual(sum(len(x.split()) for x in got), 36)

    @override_settings(SUMMARY_USE_LLM=True, SUMMARY_MODEL_SECONDS=5)
    def test_summarize_with_the_rewrite_keeps_a_line_and_its_links_per_bullet(self) -> None:
        """The rewrite branch of summarize, run by the real default model with the size threshold
        at 0 (as if it were larger): one line per extractor bullet, each with that bullet's
        segments, grounded in them, within the budget."""
        import json

        data = json.loads((MEETINGS / "release_planning.json").read_text(encoding="utf-8"))
        segs: list[SegmentIn] = [dict(s, id=100 + i) for i, s in enumerate(data["segments"])]
        base = extract(segs, data["participants"])
        self.addCleanup(summarizer._close_engine)
        with mock.patch("summaries.rewrite.REWRITE_MIN_PARAMS", 0):
            stats = summarizer.Stats()
            result = summarizer.summarize(segs, data["participants"], use_model=True, stats=stats)
        self.assertFalse(result["model_deferred"])
        self.assertTrue(any(n.startswith("model rewrote") for n in stats.notes), stats.notes)  # it ran
        lines = result["summary"].split("\n")
        self.assertEqual(len(lines), len(base["summary"].split("\n")))
        self.assertEqual(result["summary_segments"], base["summary_segments"])
        text_of = {s["id"]: f"{s['speaker']} {s['text']}" for s in segs}
        for line, ids, bullet in zip(
            lines, result["summary_segments"], base["summary"].split("\n"), strict=True
        ):
            self.assertTrue(line == bullet or grounded(line, " ".join(text_of[i] for i in ids)), line)
        self.assertLessEqual(len(result["summary"].split()), overview_budget(segs))
