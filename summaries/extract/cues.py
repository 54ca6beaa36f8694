"""The speech acts the stages look for, as patterns built from the phrase lists.

Patterns with named groups give the words of the task (`clause`) and the person asked (`who`).
"""

from __future__ import annotations

import re

from summaries.extract.phrases import (
    ACCEPTANCES,
    AGREEMENTS,
    ALREADY_DONE,
    ANYONE,
    CORRECTIONS,
    DECISION_LEAD_INS,
    DECISIONS,
    DECLINES,
    DOING_THAT,
    FILLERS,
    HAND_OVER_TAILS,
    HAND_OVER_VERBS,
    HESITATIONS,
    INTENT,
    LET_ME_WORK_VERBS,
    LETS_NOT_DECISIONS,
    MEETING_TALK,
    NAME,
    NEXT_PROMISE,
    NOT_A_NO,
    NOT_CONTEXT,
    NOTE_PLACES,
    NOTE_VERBS,
    OUTCOMES,
    POINTERS,
    POSTPONING,
    PROMISE_ADVERBS,
    PROMISE_OPENERS,
    RECAP_LEAD_INS,
    RECAP_OPENERS,
    REJECTIONS,
    REQUEST_MODALS,
    SIGN_ME_UP,
    SOFTENERS,
    TAKE_UPS,
    TAKING_IT,
    TENTATIVE,
    VOLUNTEERING,
    YOU_WILL,
    alt,
)

# --------------------------------------------------------------------------- the speaker's own work

_ADVERBS = alt(a + r"\s+" for a in PROMISE_ADVERBS)
COMMIT_RE = re.compile(
    rf"\b{alt(PROMISE_OPENERS)}\s+{_ADVERBS}*"
    # a second promise in the sentence is a task of its own
    rf"(?P<clause>[a-z](?:(?!\b{NEXT_PROMISE}\b)[^.!?])*)",
    re.I,
)
SIGN_ME_RE = re.compile(rf"\b{alt(SIGN_ME_UP)} for (?P<clause>[a-z][^.!?]*)", re.I)
TAKING_RE = re.compile("|".join(TAKING_IT), re.I)
VOLUNTEER_RE = re.compile("|".join(VOLUNTEERING), re.I)
LET_ME_RE = re.compile(rf"\b[Ll]et me (?P<clause>{alt(LET_ME_WORK_VERBS)}\b[^.!?]*)")
TENTATIVE_RE = re.compile(rf"\b{TENTATIVE}(?P<clause>[a-z][^.!?]*)", re.I)
INTENT_RE = re.compile("|".join(INTENT), re.I)
# "<Name> will <task>": work promised for a colleague.
THIRD_WILL_RE = re.compile(rf"\b(?P<name>{NAME}) will (?P<clause>[a-z][^.!?]*)")

# --------------------------------------------------------------------------- asking others

_ASKED = "|".join(("you", *ANYONE, NAME))
_SOFTENERS = alt(w + " " for w in SOFTENERS)
REQUEST_RE = re.compile(
    rf"\b{alt(REQUEST_MODALS)} (?P<who>{_ASKED}) {_SOFTENERS}*"
    r"(?P<clause>[a-z][^?]*)\?",
)
YOU_REQUEST_RE = re.compile(
    rf"\b(?P<who>you){alt(YOU_WILL)}(?! not\b)(?: {alt(SOFTENERS)})* (?P<clause>[a-z][^?]*)\?"
)
# "<Name>, please <task>": a request by name.
PLEASE_RE = re.compile(rf"^(?:and |so |then )?(?P<who>{NAME}), please (?P<clause>[a-z][^.!?]*)")
# "<Name>, I need <task>": a request by name.
NEED_RE = re.compile(
    rf"^(?:and |so |then |okay,? )?(?P<who>{NAME}), (?:I|we)(?: really| also)? need (?:you to )?"
    r"(?P<clause>[a-z][^.!?]*)"
)
LEAVE_WITH_RE = re.compile(
    rf"\b(?:[Cc]an|[Cc]ould|[Mm]ay) I {alt(HAND_OVER_VERBS)} (?:you )?(?P<clause>[a-z][^?]*?)"
    rf"{alt(HAND_OVER_TAILS)}?(?:,? (?P<who>{NAME}))?\?"
)

# --------------------------------------------------------------------------- answers

ACCEPT_RE = re.compile(rf"^(?:{alt(HESITATIONS)},?\s+)*{alt(ACCEPTANCES)}\b", re.I)
DECLINE_RE = re.compile(rf"\b{alt(DECLINES)}\b|^no\b(?!,? {alt(NOT_A_NO)}\b)", re.I)
DONE_RE = re.compile(rf"\b{alt(ALREADY_DONE)}\b", re.I)
_NO = rf"no\b(?!,? {alt((*NOT_A_NO, 'objection'))}\b)"  # "no objection" is no refusal either
REJECT_NEXT_RE = re.compile(rf"^{alt((_NO, *REJECTIONS))}", re.I)
TAKE_UP_RE = re.compile(rf"^{alt(TAKE_UPS)}\b", re.I)
POSTPONED_RE = re.compile(rf"\b{alt(POSTPONING)}\b", re.I)
NOT_CONTEXT_RE = re.compile(rf"\b{alt(NOT_CONTEXT)}\b|n't\b", re.I)
ANAPHOR_RE = re.compile(rf"^(?:\w+\s+){{0,2}}{alt(POINTERS)}\b", re.I)

# --------------------------------------------------------------------------- recaps and corrections

RECAP_RE = re.compile(rf"\b{alt(RECAP_OPENERS)}\b", re.I)
CORRECTION_RE = re.compile(rf"\b{alt(CORRECTIONS)}\b", re.I)
# A recap line: "<Name> <verb>s <task>", "<Name> to <verb> <task>", "I <verb> <task>".
RECAP_LINE_RE = re.compile(
    rf"^{alt(RECAP_LEAD_INS)}?(?P<who>{NAME}|I) (?:(?P<to>to|will) )?"
    r"(?P<verb>[a-z]+s|send|run|take|write|do|book|share|fix|update|own|draft|call|[a-z]+)\b(?P<rest>[^.!?]*)",
)

# --------------------------------------------------------------------------- decisions and summary

_LETS = rf"\blet's (?!{'|'.join(LETS_NOT_DECISIONS)})\w+"
DECISION_RE = re.compile("|".join((*DECISIONS, _LETS)), re.I)
AGREE_RE = re.compile(rf"^(?:okay, |yes, )?{alt(AGREEMENTS)}\b(?P<comma>,?)", re.I)
DOING_THAT_RE = re.compile(DOING_THAT, re.I)
NOTE_RE = re.compile(
    rf"\blet's {alt(NOTE_VERBS)} (?:\w+ ){{0,4}}?(?:in|on|to|into) (?:the |our |a )?{alt(NOTE_PLACES)}\b",
    re.I,
)
DECISION_LEAD_IN_RE = re.compile(rf"^{alt(DECISION_LEAD_INS)}[,.]?\s+", re.I)
FILLER_RE = re.compile(rf"^{alt(FILLERS)}\b[ ,.!]*$", re.I)
MEETING_TALK_RE = re.compile(alt(MEETING_TALK), re.I)
OUTCOME_RE = re.compile(rf"\b{alt(OUTCOMES)}\b", re.I)
