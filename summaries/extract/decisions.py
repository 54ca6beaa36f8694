"""Decisions: what the group settled ("we'll go with ...", "X is tabled") or agreed to when proposed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from summaries.extract.compress import agenda
from summaries.extract.cues import (
    AGREE_RE,
    DECISION_LEAD_IN_RE,
    DECISION_RE,
    DOING_THAT_RE,
    NOTE_RE,
    RECAP_RE,
)
from summaries.extract.phrases import PROPOSAL_LEAD_INS
from summaries.extract.text import cap, content, words
from summaries.extract.types import Turn

SAME_DECISION = 0.7  # share of a decision's words a repeat of it says
WIDER_DECISION = 0.75  # share of a decision's words a later, longer summary of several says
OPENING_TURNS = 3  # where the chair says what the meeting goes through

Decision = tuple[str, list[int]]  # the text, and the ids of the segments that said it


def agreed_proposal(turn: Turn, prev: Turn | None) -> Decision | None:
    """ "<proposal>." "Agreed.": a proposal someone else agrees to (unless the agreement says the
    decision itself, "Agreed, no <thing>.")."""
    agree = AGREE_RE.match(turn.text.strip())
    if agree is None or prev is None or prev.label == turn.label:
        return None
    if agree.group("comma") and len(content(turn.text[agree.end() :])) >= 2:
        return None
    last = prev.sentences[-1] if prev.sentences else ""
    if not last or last.endswith("?") or len(content(last)) < 3:
        return None
    return cap(re.sub(PROPOSAL_LEAD_INS, "", last, flags=re.I)), [prev.segment_id, turn.segment_id]


def stated(turn: Turn) -> list[Decision]:
    """The sentences of a turn that state a decision."""
    found: list[Decision] = []
    sents = turn.sentences
    for si, s in enumerate(sents):
        if s.endswith("?") or len(words(s)) < 4 or not DECISION_RE.search(s):
            continue
        if si > 0 and DOING_THAT_RE.search(s):
            # a decision about "that" or "it": say what it was
            s = f"{sents[si - 1].rstrip('.')}: {s[0].lower()}{s[1:]}"
        if RECAP_RE.search(s) and len(content(s)) < 4:
            continue
        if NOTE_RE.search(s) or (turn.index < OPENING_TURNS and agenda(s)):
            continue  # a note to write down, or the meeting's agenda ("Let's review ..."): no decision
        text = DECISION_LEAD_IN_RE.sub("", s)
        text = re.sub(r"^decision:\s*", "", text, flags=re.I)
        if len(content(text)) < 2 and _LEANS_RE.search(text):
            continue  # "Agreed, let's not risk it.": what "it" is was said before, as a decision or not
        if len(content(s)) < 2:
            continue
        found.append((cap(text), [turn.segment_id]))
    return found


def merge_decisions(found: list[Decision]) -> list[Decision]:
    """Repeated decisions (a recap at the end) are kept once, with every segment that said them; a
    later line that says several earlier decisions again replaces them."""
    out: list[Decision] = []
    for text, ids in found:
        cw = content(text)
        dup = next((o for o in out if cw and len(cw & content(o[0])) / len(cw) >= SAME_DECISION), None)
        if dup:
            dup[1].extend(ids)
        else:
            out.append((text, ids))
    merged: list[Decision] = []
    for k, (text, ids) in enumerate(out):
        cw = content(text)
        wider = next(
            (
                o
                for o in out[k + 1 :]
                if cw and len(content(o[0])) > len(cw) and len(cw & content(o[0])) / len(cw) >= WIDER_DECISION
            ),
            None,
        )
        if wider is not None:
            wider[1].extend(ids)
        else:
            merged.append((text, ids))
    return merged


def turned_down(turn: Turn, prev: Turn | None) -> Decision | None:
    """ "Should we also offer them X?" "No, <why>.": the proposal, turned down, with why (the
    answer's other sentences say no more than that: they are not decisions of their own)."""
    if prev is None or prev.label == turn.label or not prev.sentences:
        return None
    asked = _PROPOSAL_RE.match(prev.sentences[-1])
    answer = _NO_RE.match(turn.text.strip())
    if asked is None or answer is None:
        return None
    proposal = asked.group("what").rstrip(" ?")
    why = turn.sentences[0][answer.end() :].strip(" .")
    if len(content(proposal)) < 2:
        return None
    text = f"Turned down: {proposal}" + (f" ({why})." if len(content(why)) >= 2 else ".")
    return text, [prev.segment_id, turn.segment_id]


# A short decision about something said before it ("risk it", "do that").
_LEANS_RE = re.compile(r"\b(?:it|that|this|them)[.!]?$", re.I)
# A yes/no proposal to the group, and a plain no to it.
_PROPOSAL_RE = re.compile(
    r"^(?:and |so |then )?(?:should|shall|can|could) we (?:also |still |maybe |just )?(?P<what>[a-z][^?]*)\?$",
    re.I,
)
_NO_RE = re.compile(r"^no\b(?!,? (?:problem|worries|objection|doubt)\b)[,.!]?\s*", re.I)


def extract_decisions(turns: Sequence[Turn]) -> list[Decision]:
    found: list[Decision] = []
    for turn in turns:
        prev = turns[turn.index - 1] if turn.index > 0 else None
        rejected = turned_down(turn, prev)
        if rejected is not None:
            found.append(rejected)
            continue
        agreed = agreed_proposal(turn, prev)
        if agreed is not None:
            found.append(agreed)
        found += stated(turn)
    return merge_decisions(found)
