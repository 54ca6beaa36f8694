"""Print the segments of an audio file as JSON, with the same engine and settings as live captions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Transcribe an audio file; prints [{start, end, text}] as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("audio", help="audio file (WAV or anything FFmpeg reads)")

    def handle(self, *args: Any, **options: Any) -> None:
        from transcripts.engine import get_engine

        path = Path(options["audio"])
        if not path.is_file():
            raise CommandError(f"No such audio file: {path}")
        try:
            segs = get_engine().transcribe(path)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # unreadable audio: say so instead of a traceback
            raise CommandError(f"Could not transcribe {path}: {exc}") from exc
        self.stdout.write(json.dumps([s.as_dict() for s in segs], ensure_ascii=False))
