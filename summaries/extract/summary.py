"""Summary points: the sentences that carry the meeting's facts, chosen by how central their words are."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from summaries.extract.cues import COMMIT_RE, FILLER_RE, MEETING_TALK_RE, OUTCOME_RE
from summaries.extract.phrases import NUMBER_WORDS
from summaries.extract.text import content, words
from summaries.extract.types import Turn

NUMBER_BONUS = 1.2  # figures are facts
OUTCOME_BONUS = 0.6  # causes and outcomes
OPENING_BONUS = 0.8  # the first turns say what the meeting is about
OPENING_TURNS = 3
SAME_POINT = 0.6  # share of words a sentence shares with a picked one to say the same


@dataclass(frozen=True)
class Candidate:
    turn: int  # index of the turn
    order: int  # position among all sentences
    speaker: str
    sentence: str
    segment_id: int


def has_number(s: str) -> bool:
    return bool(re.search(r"\d", s)) or any(w in NUMBER_WORDS for w in words(s))


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


def score(c: Candidate, df: Counter[str]) -> float:
    cw = content(c.sentence)
    value = sum(math.log1p(df[w]) for w in cw) / math.sqrt(len(cw) + 3)
    if has_number(c.sentence):
        value += NUMBER_BONUS
    if OUTCOME_RE.search(c.sentence):
        value += OUTCOME_BONUS
    if c.turn < OPENING_TURNS:
        value += OPENING_BONUS
    return value


def key_sentences(turns: Sequence[Turn], exclude: set[str], limit: int) -> list[tuple[str, int]]:
    """Up to `limit` sentences as "<First name>: <sentence>", in meeting order, with their segment ids."""
    cands = [
        Candidate(t.index, order, t.label, s, t.segment_id)
        for order, (t, s) in enumerate((t, s) for t in turns for s in t.sentences)
    ]
    df: Counter[str] = Counter()
    for c in cands:
        df.update(content(c.sentence))
    scored = [(score(c, df), c) for c in cands if is_point(c.sentence, exclude)]
    picked: list[Candidate] = []
    for _, c in sorted(scored, key=lambda sc: (-sc[0], sc[1].order)):
        cw = content(c.sentence)
        if any(len(cw & content(p.sentence)) / len(cw) > SAME_POINT for p in picked):
            continue
        picked.append(c)
        if len(picked) >= limit:
            break
    picked.sort(key=lambda c: c.order)
    return [(f"{p.speaker.split()[0]}: {p.sentence}", p.segment_id) for p in picked]
