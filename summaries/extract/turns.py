"""Stage 1: the transcript as turns, each with its speaker resolved to a participant."""

from __future__ import annotations

import re
from collections import Counter

from summaries.extract.phrases import NAME
from summaries.extract.text import sentences
from summaries.extract.types import SegmentIn, Turn

_NAME_RE = re.compile(rf"\b({NAME})\b")


class Names:
    """Maps first names, last names and full names said in the meeting to participants."""

    def __init__(self, participants: list[str]) -> None:
        self.full = [p for p in participants if p.strip()]
        self.by_token: dict[str, str] = {}
        counts = Counter(t.lower() for p in self.full for t in p.split())
        for p in self.full:
            for t in p.split():
                if counts[t.lower()] == 1:  # a name two participants share names neither
                    self.by_token[t.lower()] = p

    def resolve(self, token: str | None) -> str | None:
        if not token:
            return None
        return self.by_token.get(token.lower())

    def addressed(self, text: str, exclude: str) -> str | None:
        """The participant a sentence is addressed to ("Maria, can you ...", "... can you, Bob?")."""
        for c in _NAME_RE.findall(text):
            p = self.resolve(c)
            if p and p != exclude:
                return p
        return None


def meeting_names(segments: list[SegmentIn], participants: list[str]) -> Names:
    """The participants, or the speakers when the meeting has no participant list."""
    return Names(participants or sorted({s["speaker"] for s in segments}))


def to_turns(segments: list[SegmentIn], names: Names) -> list[Turn]:
    return [
        Turn(
            index=i,
            segment_id=seg["id"],
            label=seg["speaker"],
            speaker=names.resolve(seg["speaker"].split()[0]) or seg["speaker"],
            text=seg["text"],
            sentences=tuple(sentences(seg["text"])),
        )
        for i, seg in enumerate(segments)
    ]
