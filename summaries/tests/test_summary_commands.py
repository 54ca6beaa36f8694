"""summarize_transcript and evaluate_summaries (on a small set of our own, with a stand-in scorer)."""

from __future__ import annotations

import json
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, override_settings

from summaries.tests.helpers import MEETINGS

# Prints score.py's summary format; "f1" is 1.0 when every expected owner has an item.
FAKE_SCORER = """
import json, sys
gold, pred = (json.load(open(p)) for p in sys.argv[2:4])
owners = {a["owner"] for a in pred["action_items"]}
ok = all(g["owner"] in owners for g in gold["action_items"])
f1 = 1.0 if ok else 0.0
print(f"precision: {f1:.3f}"); print(f"recall: {f1:.3f}"); print(f"f1: {f1:.3f}")
print("summary points covered: 1/1 = 1.000"); print("decisions covered: 1/1 = 1.000")
print("distractors listed: 0"); print(f"score: {f1:.3f}")
"""


@override_settings(SUMMARY_USE_LLM=False)
class SummarizeTranscriptCommandTests(SimpleTestCase):
    def test_prints_the_documented_shape(self) -> None:
        out = StringIO()
        call_command("summarize_transcript", str(MEETINGS / "release_planning.json"), stdout=out)
        data = json.loads(out.getvalue())
        self.assertEqual(set(data), {"summary", "decisions", "action_items"})
        self.assertIsInstance(data["summary"], str)
        for item in data["action_items"]:
            self.assertEqual(set(item), {"owner", "task", "due"})

    def test_bad_input_is_a_clear_error(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write('{"segments": [{"speaker": 3}]}')
            f.flush()
            with self.assertRaisesMessage(CommandError, "segment 0 needs a speaker and a text"):
                call_command("summarize_transcript", f.name)
        with self.assertRaisesMessage(CommandError, "cannot read"):
            call_command("summarize_transcript", "/nonexistent.json")


@override_settings(SUMMARY_USE_LLM=False)
class EvaluateSummariesCommandTests(SimpleTestCase):
    def make_set(self) -> Path:
        root = Path(tempfile.mkdtemp(prefix="evalset-"))
        self.addCleanup(shutil.rmtree, root)
        (root / "meetings").mkdir()
        (root / "score.py").write_text(FAKE_SCORER)
        for name in ("release_planning", "clinic_handover"):
            shutil.copy(MEETINGS / f"{name}.json", root / "meetings" / f"{name}.json")
            shutil.copy(MEETINGS / f"{name}.expected.json", root / "meetings" / f"{name}.gold.json")
        return root

    def test_passes_and_prints_the_mean(self) -> None:
        out = StringIO()
        call_command("evaluate_summaries", str(self.make_set()), stdout=out)
        text = out.getvalue()
        self.assertIn("release_planning", text)
        self.assertIn("MEAN", text)
        # the overview's length, in words and per 10 minutes, and the decisions' words
        self.assertRegex(
            text, r"overview \d+ words in \d+ bullets, decisions \d+ words; transcript \d+ words"
        )
        self.assertRegex(text, r"overview \d+ words per 10 min \(target <= 120\)")
        self.assertRegex(text, r"LENGTH .*\d+ words per 10 min over [0-9.]+ min\), decisions \d+ words")
        self.assertIn("PASSED", text)

    def test_exits_non_zero_below_the_targets(self) -> None:
        root = self.make_set()
        gold = root / "meetings" / "clinic_handover.gold.json"
        data = json.loads(gold.read_text())
        data["action_items"].append({"owner": "Nobody Here", "keywords": ["x"], "due": None})
        gold.write_text(json.dumps(data))
        (root / "meetings" / "release_planning.gold.json").write_text(json.dumps(data))
        with self.assertRaises(SystemExit) as cm:
            call_command("evaluate_summaries", str(root), stdout=StringIO(), stderr=StringIO())
        self.assertEqual(cm.exception.code, 1)

    def test_missing_scorer(self) -> None:
        with self.assertRaisesMessage(CommandError, "needs score.py"):
            call_command("evaluate_summaries", tempfile.gettempdir())
