"""Stage 2: the parts of the conversation a candidate item is read with.

A request is answered in the turns after it, an offer is turned down by the next speakers, and
"could you own it?" or "I'll do that" name their task in the turns just before. The windows are
counted in turns, not characters, so that they follow the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence

from summaries.extract.cues import COMMIT_RE, DONE_RE, NOT_CONTEXT_RE, RECAP_RE, VOLUNTEER_RE
from summaries.extract.text import words
from summaries.extract.types import Turn

REPLY_TURNS = 3  # a request is answered within the next three turns
REACTION_TURNS = 2  # an offer is turned down in the next turn or the one after
TOPIC_TURNS = 2  # "could you own it?" names its task a turn or two before
FOLLOW_UP_TURNS = 3  # a speaker adds to their own item within three turns
HANDOVER_TURNS = 6  # "could you own this one instead?" is about an item of the last six turns
CONTEXT_SENTENCES = 2  # the sentences before a task in the same turn that may say what it is about
CONTEXT_CHARS = 200  # a context longer than this is cut at a word


def replies(turns: Sequence[Turn], i: int) -> Sequence[Turn]:
    """The turns that may answer turn i."""
    return turns[i + 1 : i + 1 + REPLY_TURNS]


def reactions(turns: Sequence[Turn], i: int) -> list[Turn]:
    """The other speakers' turns right after turn i, until its speaker talks again."""
    out: list[Turn] = []
    for t in turns[i + 1 : i + 1 + REACTION_TURNS]:
        if t.speaker == turns[i].speaker:
            break
        out.append(t)
    return out


def earlier(turns: Sequence[Turn], i: int, count: int = TOPIC_TURNS) -> list[Turn]:
    """The turns before turn i, nearest first."""
    return list(reversed(turns[max(0, i - count) : i]))


def next_turn(turns: Sequence[Turn], i: int) -> Turn | None:
    return turns[i + 1] if i + 1 < len(turns) else None


def previous_turn(turns: Sequence[Turn], i: int) -> Turn | None:
    return turns[i - 1] if i > 0 else None


def recap_start(turns: Sequence[Turn]) -> int | None:
    """The turn where a recap of who does what starts: a recap phrase in the second half."""
    n = len(turns)
    return next((t.index for t in turns if RECAP_RE.search(t.text) and t.index >= n * 0.5), None)


def context_before(sents: Sequence[str], idx: int) -> str:
    """Up to two earlier sentences of the same turn that say what the task is about."""
    picked: list[str] = []
    for s in reversed(sents[max(0, idx - CONTEXT_SENTENCES) : idx]):
        if s.endswith("?") or len(words(s)) < 4 or DONE_RE.search(s) or NOT_CONTEXT_RE.search(s):
            break
        if COMMIT_RE.search(s) or VOLUNTEER_RE.search(s):
            break
        picked.insert(0, s.rstrip("."))
    ctx = "; ".join(picked)
    return ctx if len(ctx) <= CONTEXT_CHARS else ctx[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " ..."
