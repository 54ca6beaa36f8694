"""Stage 3a: requests addressed to someone, which become items once the addressee accepts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from summaries.extract.checks import asks_for_talk, is_meta, is_postponed, is_weak, only_light
from summaries.extract.cues import (
    ACCEPT_RE,
    COMMIT_RE,
    DECLINE_RE,
    DONE_RE,
    LEAVE_WITH_RE,
    NEED_RE,
    NOT_CONTEXT_RE,
    PLEASE_RE,
    REQUEST_RE,
    VOLUNTEER_RE,
    YOU_REQUEST_RE,
)
from summaries.extract.dates import find_due
from summaries.extract.ledger import Item, Ledger, Status
from summaries.extract.phrases import (
    ABLE_TO,
    ANYONE,
    HANDOVER,
    NAME,
    QUESTION_WORDS,
    SAME_DAY,
    WITHDRAWALS,
    alt,
)
from summaries.extract.text import clean_clause, content, sentences
from summaries.extract.turns import Names
from summaries.extract.types import Turn
from summaries.extract.windows import context_before, earlier, replies

_ABLE_TO_RE = re.compile(rf"^{alt(ABLE_TO)}\s+", re.I)
_HANDOVER_RE = re.compile("|".join(HANDOVER), re.I)
_WITHDRAWAL_RE = re.compile(rf"{alt(WITHDRAWALS)}\b", re.I)
_ASKS_WHEN_RE = re.compile(rf"(?:\w+,? )?{alt(QUESTION_WORDS)}\b", re.I)
_SAME_DAY_RE = re.compile(rf"{alt(SAME_DAY)}$", re.I)
_WE_OR_I_RE = re.compile(r"(?:we|I)\b", re.I)
# A word and a name said to get someone's attention, in front of what a request is about.
_ADDRESS_RE = re.compile(rf"^(?:\w+,\s*)?(?:{NAME},\s*)?")


@dataclass(frozen=True)
class Request:
    """A request said in a turn, before its answer is known."""

    turn: Turn
    sentence: str
    clause: str  # the work asked for
    addressee: str | None  # the participant asked; None when asked of anyone
    open: bool  # asked of anyone ("can somebody ...?")
    weak: bool  # no task of its own ("could you own it?"): the task was named before
    context: str  # what the clause is about, said before it
    handover: bool  # moves work from someone else ("instead", "take over")


@dataclass(frozen=True)
class Answer:
    owner: str | None  # who took it on
    reply: Turn | None  # the turn that took it on
    status: Status | None  # DECLINED or DONE when nobody took it on; None when unanswered


def read_request(turn: Turn, si: int, turns: Sequence[Turn], names: Names) -> Request | None:
    """The request in sentence si of the turn, if it asks a participant (or anyone) for work."""
    s, sents, speaker = turn.sentences[si], turn.sentences, turn.speaker
    m = REQUEST_RE.search(s) or PLEASE_RE.search(s) or NEED_RE.search(s) or YOU_REQUEST_RE.search(s)
    lm = None if m else LEAVE_WITH_RE.search(s)
    if lm is not None:
        m = lm
        clause = "own " + clean_clause(lm.group("clause"))  # "could I hand the budget over to you?"
    elif m is None or _WE_OR_I_RE.match(m.group("who")):
        return None
    else:
        clause = _ABLE_TO_RE.sub("", clean_clause(m.group("clause")))
    if is_meta(clause) or asks_for_talk(clause):
        return None
    who = m.group("who") or "you"
    addressee = names.resolve(who) if who[0].isupper() and who.lower() not in ("you",) else None
    if addressee is None and who.lower() == "you":
        addressee = names.addressed(s, speaker) or names.addressed(" ".join(sents[:si]), speaker)
        if addressee is None and turn.index > 0:
            prev = turns[turn.index - 1].speaker  # "you" is the one who spoke before
            addressee = prev if prev != speaker else None
    open_request = who.lower() in ANYONE
    if addressee is None and not open_request:
        return None
    weak = is_weak(clause)
    # "can you mentor them?": a real verb, the object said just before
    ctx = context_before(sents, si)
    before = _ADDRESS_RE.sub("", s[: m.start()]).strip(" ,")
    said_before = weak and len(content(before)) >= 2 and not NOT_CONTEXT_RE.search(before)
    if said_before:
        ctx = f"{before}; {ctx}" if ctx else before
    if weak and (said_before or not only_light(clause) and ctx):
        weak = False
    return Request(
        turn=turn,
        sentence=s,
        clause=clause,
        addressee=addressee,
        open=open_request,
        weak=weak,
        context=ctx,
        handover=bool(_HANDOVER_RE.search(s)) or weak,
    )


def answer(req: Request, turns: Sequence[Turn]) -> Answer:
    """Who took the request on in the replies: the addressee, or a colleague who volunteers or
    steps in once the addressee declined."""
    speaker, addressee = req.turn.speaker, req.addressee
    declined = False
    for k, reply in enumerate(replies(turns, req.turn.index)):
        rtext = reply.text.strip()
        if reply.speaker == speaker:
            if _WITHDRAWAL_RE.match(rtext):
                break
            continue
        if DONE_RE.search(rtext.split(".")[0]) and reply.speaker == addressee:
            return Answer(None, None, Status.DONE)
        if DECLINE_RE.search(rtext) and not VOLUNTEER_RE.search(rtext):
            declined = declined or reply.speaker == addressee
            continue  # a colleague may still take it
        takes_it = ACCEPT_RE.search(rtext) or VOLUNTEER_RE.search(rtext) or COMMIT_RE.search(rtext)
        if (reply.speaker == addressee or req.open or k > 0) and takes_it:
            if reply.speaker != addressee and not (VOLUNTEER_RE.search(rtext) or declined):
                continue
            return Answer(reply.speaker, reply, None)
    return Answer(None, None, Status.DECLINED if declined else None)


def take_request(req: Request, ans: Answer, turns: Sequence[Turn], ledger: Ledger) -> None:
    """Record an answered request: a new item, or an item handed over to whoever took it."""
    i, clause, weak, ctx = req.turn.index, req.clause, req.weak, req.context
    if ans.owner is None or ans.reply is None:
        if ans.status is not None:
            ledger.close(Item(owner=req.addressee or "", task=clause, turns=[i]), ans.status)
        return
    owner, reply = ans.owner, ans.reply
    if req.handover and weak:
        # "Kim, would you own this one instead?" moves the latest item to Kim
        prior = ledger.recent_not_of(owner, i)
        if prior is not None:
            ledger.hand_over(prior, owner, i, reply.index)
            ledger.answer_turns.add(reply.index)
            return
    if weak and _ASKS_WHEN_RE.match(req.sentence):
        return  # "When could you manage it?" asks for a date, not for work
    if weak:
        # "any chance you could own it?" about a task named a turn or two before
        topic = next(
            (
                t
                for before in earlier(turns, i)
                for t in reversed(before.sentences)
                if len(content(t)) >= 3 and not DONE_RE.search(t) and not NOT_CONTEXT_RE.search(t)
            ),
            None,
        )
        if topic is None:
            return
        ctx = topic.rstrip(".?")
    if req.handover and not weak:
        # "would you take the budget over instead?" moves that item
        cw = content(clause)
        prior = max(
            (it for it in ledger.items if it.owner != owner and cw & content(it.text())),
            key=lambda it: len(cw & content(it.text())),
            default=None,
        )
        if prior is not None and len(cw & content(prior.text())) >= 0.5 * len(cw - {"tak", "take", "over"}):
            ledger.hand_over(prior, owner, i, reply.index)
            ledger.answer_turns.add(reply.index)
            return
    it = Item(owner=owner, task=clause, turns=[i, reply.index], status=Status.ACCEPTED)
    if is_postponed(clause):
        ledger.close(it, Status.POSTPONED)
        return
    it.due = find_due(clause)
    _read_reply(it, reply.text.strip())
    if ctx and len(content(clause)) < 4:
        it.extra.append(f"re: {ctx}")
    ledger.add(it)
    ledger.answer_turns.add(reply.index)


def _read_reply(it: Item, reply: str) -> None:
    """The promise in the reply may name the task better, and its date counts."""
    for rc in COMMIT_RE.finditer(reply):
        rclause = clean_clause(rc.group("clause"))
        if not is_meta(rclause):
            rdue = find_due(rclause)
            # "today" asked, "this afternoon" answered: the same day, keep the asked one
            same_day = rdue and it.due and _SAME_DAY_RE.match(rdue)
            it.due = it.due if same_day else (rdue or it.due)
            if not is_weak(rclause):
                it.extra.append(rclause)
    if it.due is None:
        # "Sure, give me until the twentieth." / "Certainly. We'll have those by <date>."
        it.due = next((d for rsent in sentences(reply)[:2] if (d := find_due(rsent))), None)


def read_requests(turn: Turn, turns: Sequence[Turn], names: Names, ledger: Ledger) -> None:
    for si in range(len(turn.sentences)):
        req = read_request(turn, si, turns, names)
        if req is not None:
            take_request(req, answer(req, turns), turns, ledger)
