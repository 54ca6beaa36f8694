"""Stage 3b: work the speaker takes on ("I'll ...", "let me ...", "leave it with me") or gives a colleague."""

from __future__ import annotations

import re
from collections.abc import Sequence

from summaries.extract.checks import is_meta, is_opinion, is_postponed, is_weak, turned_down
from summaries.extract.cues import (
    ACCEPT_RE,
    COMMIT_RE,
    DONE_RE,
    INTENT_RE,
    LET_ME_RE,
    NOT_CONTEXT_RE,
    SIGN_ME_RE,
    TAKE_UP_RE,
    TAKING_RE,
    TENTATIVE_RE,
    THIRD_WILL_RE,
    VOLUNTEER_RE,
)
from summaries.extract.dates import find_due
from summaries.extract.ledger import Item, Ledger, Status
from summaries.extract.phrases import TAKING_OVER_VERBS, WISH, alt
from summaries.extract.text import clean_clause, content, words
from summaries.extract.turns import Names
from summaries.extract.types import Turn
from summaries.extract.windows import context_before, earlier, next_turn, previous_turn

_WISH_RE = re.compile(WISH)
_TAKING_OVER_RE = re.compile(rf"{alt(TAKING_OVER_VERBS)}\b")


def intended(text: str) -> str | None:
    """ "I was going to <work>, but ...": the work someone hands over."""
    m = INTENT_RE.search(text)
    if not m:
        return None
    return clean_clause(m.group("c") or m.group("c2")) or None


def promised(s: str, taken_up: bool) -> list[str]:
    """The tasks the speaker promises in a sentence, in the order said (an offer counts once
    someone took it up)."""
    found_at = [
        (m.start(), clean_clause(m.group("clause"))) for m in COMMIT_RE.finditer(s) if not is_opinion(m)
    ]
    found_at += [(m.start(), clean_clause(m.group("clause").rstrip("?"))) for m in LET_ME_RE.finditer(s)]
    found_at += [(m.start(), clean_clause(m.group("clause"))) for m in SIGN_ME_RE.finditer(s)]
    if taken_up:
        found_at += [
            (m.start(), clean_clause(m.group("clause").rstrip("?"))) for m in TENTATIVE_RE.finditer(s)
        ]
    return [c for _, c in sorted(found_at, key=lambda f: f[0])]


def read_colleague_work(turn: Turn, s: str, names: Names, ledger: Ledger) -> None:
    """ "<Name> will <work>": a task for a colleague in the meeting."""
    i = turn.index
    for tm in THIRD_WILL_RE.finditer(s):
        who = names.resolve(tm.group("name"))
        if not who or who == turn.speaker:
            continue
        tclause = clean_clause(tm.group("clause"))
        if is_weak(tclause) and _TAKING_OVER_RE.match(tclause):
            # "<Name> will handle it": the latest item moves to them
            prior = ledger.recent_not_of(who, i)
            if prior is not None:
                prior.owner = who
                prior.turns.append(i)
                prior.last_turn = i
            continue
        it = Item(owner=who, task=tclause, turns=[i], due=find_due(tclause))
        if not is_weak(it.task) and not is_meta(it.task):
            if is_postponed(it.task):
                ledger.close(it, Status.POSTPONED)
            else:
                ledger.add(it)


def _light_promise(
    turn: Turn,
    si: int,
    clause: str,
    due: str | None,
    seg_item: Item | None,
    turns: Sequence[Turn],
    ledger: Ledger,
) -> Item | None:
    """A promise with no task of its own ("I'll do that"): it dates or names an item said just before.
    Returns the turn's item."""
    i, sents, speaker = turn.index, turn.sentences, turn.speaker
    if seg_item is not None:  # "I'll get both sorted by Monday."
        seg_item.due = due or seg_item.due
        return seg_item
    recent = ledger.recent_of(speaker, i)
    if due and recent is not None and recent.due is None and si == 0:
        # "By when?" "I'll have all of it patched by Monday."
        recent.due = due
        recent.turns.append(i)
        return None
    # "I want to tidy the wiki. I'll do that on Monday.": the task is the sentence before
    ante = sents[si - 1] if si > 0 else ""
    ante_m = _WISH_RE.search(ante)
    if ante_m:
        return ledger.add(Item(owner=speaker, task=clean_clause(ante_m.group("c")), turns=[i], due=due))
    if ante and not ante.endswith("?") and len(content(ante)) >= 2 and not DONE_RE.search(ante):
        return ledger.add(
            Item(owner=speaker, task=clause, turns=[i], due=due, extra=[f"re: {ante.rstrip('.')}"])
        )
    # "Somebody has to renew the domain." "I'll do that." - the turn before says what
    prev = previous_turn(turns, i) if si == 0 else None
    if prev is None or prev.label == turn.label or DONE_RE.search(turn.text):
        return None
    ptext = (prev.sentences[-1:] or ("",))[0]
    if len(content(ptext)) < 2 or DONE_RE.search(ptext) or NOT_CONTEXT_RE.search(ptext):
        return None
    meant = intended(ptext)  # "I was going to <work>" "I'll take that off your plate"
    return ledger.add(
        Item(
            owner=speaker,
            task=meant or clause,
            turns=[i - 1, i],
            due=due or find_due(ptext),
            extra=[] if meant else [f"re: {ptext}"],
        )
    )


def _volunteered(turn: Turn, turns: Sequence[Turn]) -> Item | None:
    """ "Leave it with me." with the topic from the question or statement before it."""
    topic = next((t.text for t in earlier(turns, turn.index) if len(content(t.text)) >= 3), "")
    if not topic:
        return None
    it = Item(
        owner=turn.speaker, task="", turns=[turn.index], volunteered=True, extra=[f"re: {topic.rstrip('.?')}"]
    )
    # "I'm on it, should have a fix up by <date>."
    vm = VOLUNTEER_RE.search(turn.text) or TAKING_RE.search(turn.text)
    it.due = find_due(turn.text[vm.end() :]) if vm else None
    return it


def read_commitments(turn: Turn, turns: Sequence[Turn], names: Names, ledger: Ledger) -> None:
    """The speaker's own promises in a turn (not one that answered a request: that one is taken)."""
    i, text, speaker = turn.index, turn.text, turn.speaker
    if i in ledger.answer_turns:
        return
    nxt = next_turn(turns, i)
    taken_up = nxt is not None and nxt.label != turn.label and bool(TAKE_UP_RE.search(nxt.text.strip()))
    seg_item: Item | None = None  # the item this turn said
    for si, s in enumerate(turn.sentences):
        # "I could <do it>?" "Yes please." - an offer asked as a question
        offer_q = s.endswith("?") and taken_up and TENTATIVE_RE.search(s) is not None
        if (s.endswith("?") and not offer_q) or DONE_RE.search(s):
            continue
        found = promised(s, taken_up)
        read_colleague_work(turn, s, names, ledger)
        for c in found:
            if c and not is_meta(c) and is_postponed(c):
                ledger.close(Item(owner=speaker, task=c, turns=[i]), Status.POSTPONED)
        found = [c for c in found if c and not is_meta(c) and not is_postponed(c)]
        if not found:
            # "I'll rerun the tests. Hopefully by Friday." - the date comes a sentence later
            if seg_item is not None and seg_item.due is None and len(words(s)) <= 10:
                seg_item.due = find_due(s)
            continue
        clause = " and ".join(found)
        # "On Monday I'll <work>": a date said before the promise counts too
        first = COMMIT_RE.search(s) or LET_ME_RE.search(s) or SIGN_ME_RE.search(s)
        due = find_due(clause) or (
            find_due(s[first.start() :]) or find_due(s[: first.start()]) if first else None
        )
        if is_weak(clause):
            seg_item = _light_promise(turn, si, clause, due, seg_item, turns, ledger)
            continue
        if seg_item is not None:
            seg_item.extra.append(clause)
            seg_item.due = seg_item.due or due
            continue
        # a continuation of this speaker's item a moment ago ("Sure, and I'll update the docs as well"), or
        # the task of a "leave it with me" said just before
        prior = ledger.recent_of(speaker, i)
        if prior is not None and (
            (ACCEPT_RE.search(text) and not prior.from_request and not due)
            or (prior.volunteered and not prior.task)
        ):
            if prior.volunteered and not prior.task:
                prior.task, prior.volunteered = clause, False
                if len(content(clause)) >= 5:
                    prior.extra = []
            else:
                prior.extra.append(clause)
            prior.turns.append(i)
            prior.last_turn = i
            prior.due = due or prior.due
            continue
        ctx = context_before(turn.sentences, si)
        seg_item = ledger.add(
            Item(owner=speaker, task=clause, turns=[i], due=due, extra=[f"re: {ctx}"] if ctx else [])
        )
    volunteers = bool(VOLUNTEER_RE.search(text) or TAKING_RE.search(text)) and not DONE_RE.search(text)
    if seg_item is None and volunteers:
        vol = _volunteered(turn, turns)
        if vol is not None:
            ledger.add(vol)
    # someone else turns it down right away: not an action item
    if seg_item is not None and seg_item in ledger.items and turned_down(turns, i, seg_item):
        ledger.close(seg_item, Status.DECLINED)
