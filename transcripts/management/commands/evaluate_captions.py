"""WER of the caption engine on the dev speech set, scored by the set's own score.py."""

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


class Command(BaseCommand):
    help = "Run the engine on eval-dev/speech and print per-file and mean WER (score.py wer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("eval_dir", help="the eval set directory (holds score.py and speech/)")
        parser.add_argument("--max-wer", type=float, default=0.10, help="fail when the mean WER is above")
        parser.add_argument(
            "--live",
            action="store_true",
            help="decode as a final live caption (short encoder input; files over 28 s as usual)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from faster_whisper.audio import decode_audio

        from transcripts.engine import get_engine, join_text

        root = Path(options["eval_dir"])
        score = root / "score.py"
        speech = root / "speech"
        if not score.is_file() or not speech.is_dir():
            raise CommandError(f"{root} does not look like the eval set (needs score.py and speech/)")
        missing = [name for name in FILES if not (speech / f"{name}.wav").is_file()]
        if missing:
            raise CommandError(f"Missing in {speech}: {', '.join(n + '.wav' for n in missing)}")

        engine = get_engine()
        wers: list[float] = []
        with tempfile.TemporaryDirectory() as tmp:
            for name in FILES:
                wav = speech / f"{name}.wav"
                if options["live"]:
                    segs = engine.transcribe_live(decode_audio(str(wav), sampling_rate=16000), final=True)
                else:
                    segs = engine.transcribe(wav)
                hyp = join_text(segs)
                hyp_file = Path(tmp) / "hyp.txt"
                hyp_file.write_text(hyp + "\n", encoding="utf-8")
                wer = self._score(score, speech / f"{name}.txt", hyp_file)
                wers.append(wer)
                self.stdout.write(f"{name:20s} wer={wer:.3f}  {hyp}")
        mean = sum(wers) / len(wers)
        short = sum(wers[: len(SHORT)]) / len(SHORT)
        self.stdout.write(f"mean WER utt01-10: {short:.3f}")
        self.stdout.write(f"mean WER all {len(wers)} files: {mean:.3f}")
        if mean > options["max_wer"]:
            raise CommandError(f"mean WER {mean:.3f} is above --max-wer {options['max_wer']:.3f}")

    def _score(self, score: Path, ref: Path, hyp: Path) -> float:
        try:
            proc = subprocess.run(
                [sys.executable, str(score), "wer", str(ref), str(hyp)],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandError(f"score.py took too long on {ref}") from exc
        match = re.search(r"^wer:\s*([0-9.]+)\s*$", proc.stdout, re.MULTILINE)
        if proc.returncode != 0 or not match:
            raise CommandError(f"score.py failed on {ref}: {proc.stderr.strip() or proc.stdout[-200:]}")
        return float(match.group(1))
