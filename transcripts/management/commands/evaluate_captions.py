"""WER of captions on the dev speech set, scored by the set's own score.py, three ways side by side:
the live meeting path, transcribe_file, and the plain model (see transcripts.evaluation)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

SHORT = [f"utt{i:02d}" for i in range(1, 11)]
FILES = [*SHORT, "long", "conversation/alice", "conversation/bob"]
WAYS = ("live", "opus", "file", "plain")
LIVE_MARGIN = 0.01  # the live path may be this much worse than the plain model, no more


class Command(BaseCommand):
    help = (
        "Run the caption engine on eval-dev/speech and on a generated short-utterance set; print "
        "per-file and mean WER (score.py wer) of the live path, transcribe_file and the plain model."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("eval_dir", help="the eval set directory (holds score.py and speech/)")
        parser.add_argument("--max-wer", type=float, default=0.10, help="fail when a mean WER is above")
        parser.add_argument("--no-short", action="store_true", help="leave out the short-utterance set")
        parser.add_argument("--only", nargs="*", default=[], help="files of speech/ to run (e.g. utt01 long)")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["eval_dir"])
        score = root / "score.py"
        speech = root / "speech"
        if not score.is_file() or not speech.is_dir():
            raise CommandError(f"{root} does not look like the eval set (needs score.py and speech/)")
        names = [n for n in FILES if n in options["only"]] if options["only"] else FILES
        missing = [name for name in names if not (speech / f"{name}.wav").is_file()]
        if missing:
            raise CommandError(f"Missing in {speech}: {', '.join(n + '.wav' for n in missing)}")
        from transcripts.engine import get_engine
        from transcripts.evaluation import Clip, make_short_set

        self.engine = get_engine()
        self.score_py = score
        failures: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            self.tmp = Path(tmp)
            clips = [
                Clip(n, speech / f"{n}.wav", (speech / f"{n}.txt").read_text(encoding="utf-8")) for n in names
            ]
            means = self._run("eval-dev speech", clips)
            failures += self._check("eval-dev", means, options["max_wer"])
            if not options["no_short"]:
                try:
                    short = make_short_set(self.tmp)
                except (RuntimeError, subprocess.SubprocessError) as exc:
                    raise CommandError(f"Could not make the short-utterance set: {exc}") from exc
                means = self._run("short utterances (espeak-ng, 3 speeds x 3 levels)", short)
                if means["live"] > means["plain"]:
                    failures.append(
                        f"short utterances: live {means['live']:.3f} > plain {means['plain']:.3f}"
                    )
        if failures:
            raise CommandError("; ".join(failures))
        self.stdout.write("PASSED: all caption targets met")

    def _run(self, title: str, clips: list[Any]) -> dict[str, float]:
        from conference.testing.audio import read_wav
        from transcripts.engine import join_text
        from transcripts.evaluation import live_text, plain_text

        self.stdout.write(f"-- {title}: {len(clips)} files")
        self.stdout.write(f"{'file':28s} " + " ".join(f"{w:>6s}" for w in WAYS) + "  live text")
        wers: dict[str, list[float]] = {w: [] for w in WAYS}
        for clip in clips:
            texts = {
                "live": live_text(self.engine, read_wav(clip.wav)),
                "opus": live_text(self.engine, read_wav(clip.wav), opus=True),
                "file": join_text(self.engine.transcribe(clip.wav)),
                "plain": plain_text(self.engine, clip.wav),
            }
            row = {w: self._score(clip.text, texts[w]) for w in WAYS}
            for w in WAYS:
                wers[w].append(row[w])
            self.stdout.write(
                f"{clip.name:28s} " + " ".join(f"{row[w]:6.3f}" for w in WAYS) + f"  {texts['live']}"
            )
        means = {w: sum(v) / len(v) for w, v in wers.items()}
        self.stdout.write(
            f"{'mean WER':28s} "
            + " ".join(f"{means[w]:6.3f}" for w in WAYS)
            + f"  (live - plain: {means['live'] - means['plain']:+.3f})"
        )
        if title.startswith("eval-dev") and len(clips) > len(SHORT):
            short = {w: sum(v[: len(SHORT)]) / len(SHORT) for w, v in wers.items()}
            self.stdout.write(f"{'mean WER utt01-10':28s} " + " ".join(f"{short[w]:6.3f}" for w in WAYS))
        return means

    def _check(self, title: str, means: dict[str, float], max_wer: float) -> list[str]:
        failures = [
            f"{title}: {w} mean WER {means[w]:.3f} > --max-wer {max_wer:.3f}"
            for w in ("live", "file", "plain")
            if means[w] > max_wer
        ]
        if means["live"] > means["plain"] + LIVE_MARGIN:
            failures.append(f"{title}: live {means['live']:.3f} > plain {means['plain']:.3f} + {LIVE_MARGIN}")
        if means["file"] > means["plain"]:
            failures.append(f"{title}: transcribe_file {means['file']:.3f} > plain {means['plain']:.3f}")
        return failures

    def _score(self, reference: str, hypothesis: str) -> float:
        ref, hyp = self.tmp / "ref.txt", self.tmp / "hyp.txt"
        ref.write_text(reference.strip() + "\n", encoding="utf-8")
        hyp.write_text(hypothesis + "\n", encoding="utf-8")
        try:
            proc = subprocess.run(
                [sys.executable, str(self.score_py), "wer", str(ref), str(hyp)],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandError(f"score.py took too long on {reference!r}") from exc
        match = re.search(r"^wer:\s*([0-9.]+)\s*$", proc.stdout, re.MULTILINE)
        if proc.returncode != 0 or not match:
            raise CommandError(
                f"score.py failed on {reference!r}: {proc.stderr.strip() or proc.stdout[-200:]}"
            )
        return float(match.group(1))
