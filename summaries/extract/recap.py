"""Stage 3c: the recap at the end ("<Name> sends the checklist by Friday") and the owners' corrections.

A recap line confirms an item (and may give it its final owner and date) or adds one; an owner
who corrects a date after the recap has the last word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from summaries.extract.cues import CORRECTION_RE, DONE_RE, RECAP_LINE_RE
from summaries.extract.dates import find_due, find_dues
from summaries.extract.ledger import Item, Ledger
from summaries.extract.phrases import RECAP_I_VERBS, RECAP_NOT_WORK, TAKEN_BACK, alt
from summaries.extract.text import base_verb, content
from summaries.extract.turns import Names
from summaries.extract.types import Turn
from summaries.extract.windows import next_turn

# The owner taking back a recapped date in the next turn.
_OWNER_CORRECTS_RE = re.compile(r"\bactually\b|^no\b", re.I)
# "<Name> <verb>s A and <verb>s B": two items of one person.
_AND_NEXT_VERB_RE = re.compile(r"\s+and\s+(?=[a-z]+s\b)")


def read_recap(turn: Turn, turns: Sequence[Turn], names: Names, ledger: Ledger) -> None:
    """Each recap line of the turn confirms or adds an item of the person it names."""
    i, sents = turn.index, turn.sentences
    for s in sents:
        m = RECAP_LINE_RE.match(s.strip())
        if not m:
            continue
        said_who, verb, to = m.group("who"), m.group("verb"), m.group("to")
        who = turn.speaker if said_who == "I" else names.resolve(said_who)
        if who is None or verb in RECAP_NOT_WORK:
            continue
        if said_who == "I" and not to and verb not in RECAP_I_VERBS:
            continue
        if said_who != "I" and not to and not verb.endswith("s"):
            continue
        base = verb if said_who == "I" or to else base_verb(verb)
        clause = f"{base}{m.group('rest')}".strip()
        due = find_due(clause)
        # the owner may correct a recapped date right away: "Thursday, actually."
        same_person = re.compile(rf"^(?:and |then |also |so )?{said_who}\b")
        dated_later = any(find_due(t) and same_person.match(t.strip()) for t in sents[sents.index(s) + 1 :])
        reply = next_turn(turns, i) if due and not dated_later else None
        if reply is not None and reply.speaker == who and _OWNER_CORRECTS_RE.search(reply.text):
            due = find_due(reply.text) or due
        first, *more = _AND_NEXT_VERB_RE.split(clause) if not to else [clause]
        merge_recap(ledger.items, who, first, due, i)
        for part in more:
            part = base_verb(part.split()[0]) + part[len(part.split()[0]) :]
            merge_recap(ledger.items, who, part, find_due(part), i, create=False)


def merge_recap(
    items: list[Item], owner: str, clause: str, due: str | None, turn: int, *, create: bool = True
) -> None:
    """The item a recap line is about takes the recap's owner and date; a line about no item adds one."""
    cw = content(clause)
    best, best_score = None, 0.0
    for it in items:
        iw = content(it.text())
        if not iw or not cw:
            continue
        overlap = len(cw & iw) / len(cw)
        same_due = bool(due and it.due and due.lower() == it.due.lower())
        score = overlap + (0.5 if it.owner == owner else 0.0) + (0.3 if same_due else 0.0)
        enough = overlap >= 0.25 or same_due if it.owner == owner else overlap >= 0.6
        if enough and score > best_score:
            best, best_score = it, score
    if best is not None:
        best.owner = owner
        best.due = due or best.due
        best.turns.append(turn)
        if len(cw - content(best.text())) >= 2:  # the recap names what "it" was
            best.extra.append(clause)
        return
    if create and len(cw) >= 2 and not DONE_RE.search(clause):
        items.append(Item(owner=owner, task=clause, turns=[turn], due=due, last_turn=turn))


_TAKEN_BACK = alt(TAKEN_BACK)


def read_correction(turn: Turn, ledger: Ledger, recap_from: int) -> None:
    """ "<Day> for the runbook actually, I'm out <other day>": an owner corrects a date after the recap."""
    text, i = turn.text, turn.index
    if not CORRECTION_RE.search(text):
        return
    # the first date said is the new one, unless it is the one taken back ("not Thursday")
    dues = [
        d
        for d in find_dues(text)
        if not re.search(rf"\b{_TAKEN_BACK}\s+(?:on\s+|by\s+)?{re.escape(d)}", text, re.I)
    ]
    mine = [it for it in ledger.items if it.owner == turn.speaker]
    said = [it for it in mine if it.due and it.due.lower() in text.lower()]
    about = said or [it for it in mine if len(content(text) & content(it.text())) >= 1]
    if not about:
        # "<Day>, actually." - the owner's item the recap named last
        recapped = [it for it in mine if max(it.turns) >= recap_from]
        about = [max(recapped, key=lambda it: max(it.turns))] if recapped else []
    if dues and len(about) == 1:
        old = (about[0].due or "").lower()
        new = dues[0] if dues[0].lower() != old else None
        if new:
            about[0].due = new
            about[0].turns.append(i)
