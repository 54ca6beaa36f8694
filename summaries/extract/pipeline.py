"""The whole extraction: action items, decisions and the summary points of a transcript."""

from __future__ import annotations

from summaries.extract.decisions import extract_decisions
from summaries.extract.items import items_of
from summaries.extract.summary import key_sentences
from summaries.extract.text import content
from summaries.extract.turns import meeting_names, to_turns
from summaries.extract.types import Extraction, SegmentIn

MIN_POINTS, MAX_POINTS = 7, 18
POINTS_PER_SENTENCE = 0.18  # a longer meeting has more summary points, within the bounds above
DECISION_OVERLAP = 0.8  # a summary sentence that says this much of a decision repeats it


def extract(segments: list[SegmentIn], participants: list[str]) -> Extraction:
    names = meeting_names(segments, participants)
    turns = to_turns(segments, names)
    decisions = extract_decisions(turns)
    n_sent = sum(len(t.sentences) for t in turns)
    limit = max(MIN_POINTS, min(MAX_POINTS, round(n_sent * POINTS_PER_SENTENCE)))
    key = key_sentences(turns, exclude=set(), limit=limit)
    dec_words = [content(d) for d in {d[0] for d in decisions}]
    # a sentence already listed as a decision is not repeated in the summary
    key = [
        k
        for k in key
        if not any(
            dw and len(dw & content(k[0].split(": ", 1)[1])) >= DECISION_OVERLAP * len(dw) for dw in dec_words
        )
    ]
    return {
        "summary": "\n".join(k[0] for k in key),  # one key sentence per line
        "summary_segments": [k[1] for k in key],
        "decisions": [d[0] for d in decisions],
        "decision_segments": [sorted(set(d[1])) for d in decisions],
        "action_items": items_of(turns, names).action_items,
    }
