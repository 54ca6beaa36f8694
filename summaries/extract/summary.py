"""Summary points: the sentences that may carry the meeting's facts (overview.py picks among
their clauses)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summaries.extract.cues import COMMIT_RE, FILLER_RE, MEETING_TALK_RE
from summaries.extract.phrases import NUMBER_WORDS
from summaries.extract.text import content, words


@dataclass(frozen=True)
class Candidate:
    turn: int  # index of the turn
    order: int  # position among all sentences (the clauses of one sentence share it)
    speaker: str
    sentence: str  # as the overview writes it (headline style, figures in digits)
    segment_id: int
    spoken: str = ""  # as it was said: what its content words are weighed by


def has_number(s: str) -> bool:
    """A figure in the sentence; a number that is part of a name ("SOC 2", "Q3", "Windows 11") is none."""
    named = re.sub(r"(?:(?<=\s)[A-Z][a-z]*|\b[A-Z]{2,})\s+\d+\b|\b[A-Z]+\d+\b", " ", s)
    return bool(re.search(r"\d", named)) or any(w in NUMBER_WORDS for w in words(named))


def is_point(s: str, exclude: set[str]) -> bool:
    """A sentence that may be a summary point: a statement with some content, not a promise."""
    return not (
        s.endswith("?")
        or len(words(s)) < 6
        or FILLER_RE.match(s)
        or len(content(s)) < 4
        or s in exclude
        or COMMIT_RE.search(s)
        or MEETING_TALK_RE.match(s)
    )
