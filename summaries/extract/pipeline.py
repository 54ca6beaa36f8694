"""The whole extraction: action items, decisions and the overview of a transcript."""

from __future__ import annotations

from summaries.extract.decisions import extract_decisions
from summaries.extract.items import items_of
from summaries.extract.overview import SPOKEN_WORDS_PER_MINUTE, budget_words, overview
from summaries.extract.text import content, words
from summaries.extract.turns import meeting_names, to_turns
from summaries.extract.types import Extraction, SegmentIn


def meeting_minutes(segments: list[SegmentIn]) -> float | None:
    """From the segments' times (None when they carry none: the overview estimates from words)."""
    ends = [float(s["end"]) for s in segments if isinstance(s.get("end"), int | float)]
    starts = [float(s["start"]) for s in segments if isinstance(s.get("start"), int | float)]
    if not ends:
        return None
    return max(0.0, max(ends) - min([0.0, *starts])) / 60


def overview_budget(segments: list[SegmentIn]) -> int:
    """The overview's words at most: by the meeting's length (from its words when untimed)."""
    minutes = meeting_minutes(segments)
    if minutes is None:
        minutes = sum(len(words(s["text"])) for s in segments) / SPOKEN_WORDS_PER_MINUTE
    return budget_words(minutes)


def extract(segments: list[SegmentIn], participants: list[str]) -> Extraction:
    names = meeting_names(segments, participants)
    turns = to_turns(segments, names)
    decisions = extract_decisions(turns)
    decided = set().union(*(content(d[0]) for d in decisions)) if decisions else set()
    points = overview(turns, meeting_minutes(segments), decided)
    return {
        "summary": "\n".join(p.text for p in points),  # one bullet a line
        "summary_segments": [p.segments for p in points],
        "decisions": [d[0] for d in decisions],
        "decision_segments": [sorted(set(d[1])) for d in decisions],
        "action_items": items_of(turns, names).action_items,
    }
