"""Summarize a transcript file: python manage.py summarize_transcript FILE.json

The file is {"title", "participants", "segments": [{speaker, start, end, text}]}; the output is
{"summary", "decisions", "action_items": [{owner, task, due}]} on stdout (same service and settings
as the Celery task).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from summaries.extract import SegmentIn


def load_transcript(path: str) -> tuple[list[SegmentIn], list[str]]:
    """Segments (ids = positions in the file) and participants; a clear error for bad input."""
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise CommandError(f'{path}: expected an object with a "segments" list')
    segments: list[SegmentIn] = []
    for i, s in enumerate(data["segments"]):
        if (
            not isinstance(s, dict)
            or not isinstance(s.get("speaker"), str)
            or not isinstance(s.get("text"), str)
        ):
            raise CommandError(f"{path}: segment {i} needs a speaker and a text (strings)")
        seg: SegmentIn = {"id": i, "speaker": s["speaker"], "text": s["text"]}
        for key in ("start", "end"):
            if isinstance(s.get(key), int | float):
                seg[key] = float(s[key])  # type: ignore[literal-required]
        segments.append(seg)
    participants = data.get("participants") or []
    if not isinstance(participants, list) or not all(isinstance(p, str) for p in participants):
        raise CommandError(f'{path}: "participants" must be a list of names')
    for s in segments:
        if s["speaker"] not in participants:
            participants.append(s["speaker"])
    return segments, participants


class Command(BaseCommand):
    help = "Summarize a transcript JSON file and print the summary, decisions and action items as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--no-model", action="store_true", help="the deterministic extractor only")
        parser.add_argument("--with-segments", action="store_true", help="keep the segment ids of each item")

    def handle(self, *args: Any, **options: Any) -> None:
        from summaries.summarizer import as_public, summarize

        segments, participants = load_transcript(options["file"])
        result = summarize(segments, participants, use_model=False if options["no_model"] else None)
        out: dict[str, Any] = dict(result) if options["with_segments"] else as_public(result)
        self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
