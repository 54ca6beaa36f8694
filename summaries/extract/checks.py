"""Stage 4: checks on a candidate item: is it work, is it a task of its own, was it turned down?"""

from __future__ import annotations

import re
from collections.abc import Sequence

from summaries.extract.cues import (
    ANAPHOR_RE,
    COMMIT_RE,
    DONE_RE,
    POSTPONED_RE,
    REJECT_NEXT_RE,
    REQUEST_RE,
)
from summaries.extract.ledger import Item
from summaries.extract.phrases import (
    ASKS_FOR_TALK,
    CAN_META,
    COMING_BACK,
    LIGHT_STATES,
    LIGHT_VERBS,
    MEETING_RUNNING,
    META_VERBS,
    STOP,
    TIME_WORDS,
    alt,
)
from summaries.extract.text import content, words
from summaries.extract.types import Turn
from summaries.extract.windows import reactions

_MEETING_RUNNING_RE = re.compile("|".join(MEETING_RUNNING), re.I)
_COMING_BACK_RE = re.compile(COMING_BACK, re.I)
_ASKS_FOR_TALK_RE = re.compile(rf"{alt(ASKS_FOR_TALK)}\b", re.I)
_I_CAN_RE = re.compile(r"I can\b", re.I)


def has_task_cue(text: str) -> bool:
    """Someone promises work or asks for it ("I'll ...", "can you ...?")."""
    return bool(COMMIT_RE.search(text) or REQUEST_RE.search(text))


def says_done(text: str) -> bool:
    return bool(DONE_RE.search(text))


def looks_like_task(text: str) -> bool:
    """Text that promises or asks for work that is not already done (the summarizer's check of model items)."""
    return has_task_cue(text) and not says_done(text)


def is_postponed(clause: str) -> bool:
    return bool(POSTPONED_RE.search(clause))


def is_weak(clause: str) -> bool:
    """A clause with no task of its own: "do that", "take it", "get both sorted by Monday"."""
    ws = [w for w in words(clause) if w not in STOP and w not in TIME_WORDS]
    rest = [w for w in ws if w not in LIGHT_VERBS and w not in LIGHT_STATES]
    return len(rest) == 0 or bool(ANAPHOR_RE.match(clause)) and len(rest) <= 1


def is_meta(clause: str) -> bool:
    """Talk about the meeting itself ("I'll say a word on that", "I'll adjourn us")."""
    first = words(clause)[:1]
    if not first:
        return True
    if first[0] in META_VERBS:
        return True
    if _MEETING_RUNNING_RE.search(clause):
        return True
    return bool(_COMING_BACK_RE.match(clause))


def asks_for_talk(clause: str) -> bool:
    """A request for information or for the floor ("can you tell us ...?"), not for work."""
    return bool(_ASKS_FOR_TALK_RE.match(clause))


def is_opinion(promise: re.Match[str]) -> bool:
    """ "I can confirm ...", "I can imagine ...": a view, not an offer of work."""
    first = words(promise.group("clause"))[:1]
    return bool(_I_CAN_RE.match(promise.group(0))) and bool(first) and first[0] in CAN_META


def only_light(clause: str) -> bool:
    """ "take that", "do it": no verb of its own (unlike "mentor them", which only lacks its object)."""
    ws = words(clause)
    return not ws or ws[0] in LIGHT_VERBS or ws[0] in STOP


def turned_down(turns: Sequence[Turn], i: int, item: Item) -> bool:
    """Someone else turns the offer of turn i down right away (the next turn, or the one after on
    the same topic)."""
    for k, reply in enumerate(reactions(turns, i)):
        same_topic = k == 0 or bool(content(reply.text) & content(item.text()))
        if same_topic and REJECT_NEXT_RE.search(reply.text.strip()):
            return True
    return False
