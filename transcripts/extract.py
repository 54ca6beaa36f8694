"""Deterministic extraction of action items, decisions and key sentences from a transcript.

It always runs (the language model only adds items it can ground) and it never invents text:
every item is built from words said in the meeting and points at the segments it came from.
The rules are about how people talk in meetings ("I'll ...", "can you ...?" "sure", "let's go
with ...", recaps), never about a particular meeting.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TypedDict


class SegmentIn(TypedDict):
    id: int
    speaker: str
    text: str


class ActionItem(TypedDict):
    owner: str
    task: str
    due: str | None
    segments: list[int]


class Extraction(TypedDict):
    summary: str
    summary_segments: list[int]
    decisions: list[str]
    decision_segments: list[list[int]]
    action_items: list[ActionItem]


# --------------------------------------------------------------------------- words

STOP = set(
    """a an the and or but if then than so of to in on at by for from with about into onto over under up down out
    off is are was were be been being am do does did done have has had having will would shall should can could may
    might must it its it's this that these those there here their they them we us our you your he him his she her i
    me my mine ours yours who whom whose which what when where why how all any each both few more most other some
    such no nor not only own same too very just also as per via until till before after again once now let let's
    get got make made going go i'll i'm i'd i've we'll we're you'll it'll that's what's there's don't can't won't
    yes yeah okay ok sure well really actually maybe right myself yourself itself one thing things""".split()
)
TIME_WORDS = set(
    """today tonight tomorrow morning afternoon evening week month quarter year day end next this monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august september october
    november december first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
    thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth""".split()
)
# Verbs that carry no task on their own ("I'll do that", "I'll handle those").
LIGHT_VERBS = set("do handle take have own cover sort manage deal work look".split())
# "I'll ..." that is talk about the meeting itself, not work.
META_VERBS = set(
    """be come talk say tell start go keep leave let see think hear list recap explain mention walk repeat
    summarize hand admit stop wait check-in""".split()
)
# "I can ..." that is an opinion, not an offer.
CAN_META = set("confirm agree understand imagine live promise relate assure guess tell".split())
NUMBER_WORDS = set(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion
    percent half double dollars""".split()
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def stem(w: str) -> str:
    for suf in ("ing", "ies", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)] + ("y" if suf == "ies" else "")
            break
    return w.rstrip("e") if len(w) > 3 else w


def content(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOP and w not in TIME_WORDS and len(w) > 1}


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", text.strip())
    return [p.strip() for p in parts if p.strip()]


# --------------------------------------------------------------------------- dates

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = r"(?:january|february|march|april|june|july|august|september|october|november|december|may(?=\s+\w+(?:st|nd|rd|th)\b))"
_ORD_WORD = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_ORD = rf"(?:(?:twenty|thirty)[ -]{_ORD_WORD}|{_ORD_WORD}|\d{{1,2}}(?:st|nd|rd|th)?)"
_NOT_DATE_NOUN = r"(?!\s+(?:quarter|round|time|wave|step|version|thing|group|item|half|one|call|draft|pass|place|week|month|year|day|two|three|person|people)\b)"
_DUE_PATTERNS = [
    rf"(?:the )?week of (?:{_MONTH} {_ORD}|the {_ORD}(?: of {_MONTH})?|{_DAY})",
    rf"(?:(?:next|this) )?{_DAY}(?:'s)?(?:,? (?:the )?{_ORD}{_NOT_DATE_NOUN}(?: of {_MONTH})?|,? {_MONTH} {_ORD})?(?: (?:morning|afternoon|evening|noon|midday|lunchtime|night))?",
    rf"{_MONTH} {_ORD}",
    rf"the (?!(?:first|second|third|last)\s+(?!of\b)[a-z])\b{_ORD}{_NOT_DATE_NOUN}(?: of {_MONTH})?",
    rf"(?:the )?end of (?:the )?day (?:on )?(?:(?:next|this) )?{_DAY}",
    r"(?:the )?end of (?:the |next |this )?(?:day|week|month|quarter|year|sprint)",
    r"\beod\b",
    r"(?:tomorrow|today|tonight)(?: morning| afternoon| evening| night| noon| midday| lunchtime)?",
    r"this (?:morning|afternoon|evening|week)",
    r"next (?:week|month|sprint)",
    r"(?:the )?close of business|\bcob\b",
    r"(?:in|within) (?:two|three|a couple of) (?:days|weeks)",
]
_DUE_RE = re.compile("|".join(f"(?:{p})" for p in _DUE_PATTERNS), re.I)


_PAST_BEFORE_RE = re.compile(
    r"\b(?:was|were|did|sent|went|came|made|got|took|said|began|ran|since)\s+(?:on\s+|by\s+|in\s+|at\s+)?$"
    # "signed by Wednesday" is a deadline, "reported on Monday" is the past
    r"|\b\w+ed\s+(?:on\s+|in\s+|at\s+)?$"
    # "I'm on leave from Monday": when something starts, not a deadline
    r"|\b(?:from|starting|after)\s+(?:next\s+|this\s+)?$",
    re.I,
)


def find_due(text: str) -> str | None:
    """The first date in the text that is not about the past ("the bug support reported on Monday")."""
    m = next((m for m in _DUE_RE.finditer(text) if not _PAST_BEFORE_RE.search(text[: m.start()])), None)
    if not m:
        return None
    due = m.group(0).strip(" ,")
    due = re.sub(r"'s$", "", due)
    if re.match(rf"(?:{_DAY}|{_MONTH})", due, re.I):
        return due[0].upper() + due[1:]
    return due[0].lower() + due[1:]  # "Today I'll ..." -> "today"


# --------------------------------------------------------------------------- speech acts

_COMMIT_RE = re.compile(
    r"\b(?:I(?:'ll| will| shall)(?! be able)|I should be able to|I'm (?:going to|gonna)|I(?: can|'m happy to|'d be happy to)(?!'t| not))"
    r"\s+(?:also\s+|just\s+|then\s+|still\s+|definitely\s+|personally\s+)*"
    # "I'll try the press office and I'll file the draft": two commitments, not one
    r"(?P<clause>[a-z](?:(?!\bI(?:'ll| will|'m going to|'m gonna)\b)[^.!?])*)",
    re.I,
)
# "Put me down for renewing the lease." / "Sign me up for the Saturday shift."
_SIGN_ME_RE = re.compile(
    r"\b(?:put me down|sign me up|count me in|pencil me in) for (?P<clause>[a-z][^.!?]*)", re.I
)
_TAKING_RE = re.compile(
    r"\bI'm (?:taking|handling|doing|on) (?:it|that|this)\b|\bleave it with me\b|^on it\b", re.I
)
_THIRD_WILL_RE = re.compile(r"\b(?P<name>[A-Z][a-z]+) will (?P<clause>[a-z][^.!?]*)")
# "Maria, please send the deck to the client." (a request by name, accepted or not in the reply)
_PLEASE_RE = re.compile(r"^(?:and |so |then )?(?P<who>[A-Z][a-z]+), please (?P<clause>[a-z][^.!?]*)")
# "Let me take the vendor review." (work verbs only: "let me check who's here" is not a task)
_LET_ME_RE = re.compile(
    r"\b[Ll]et me (?P<clause>(?:take|handle|own|send|write|draft|book|schedule|follow up|update|fix|set up|prepare|"
    r"call|email|contact|reach out|ping|organize|put together|look into|investigate|order|run|pull|review|chase|"
    r"ring|sort out|figure out|work out|dig into|find|build|test|draft|raise|file)\b[^.!?]*)"
)
# Postponed: not an action item of this meeting.
_POSTPONED_RE = re.compile(
    r"\b(?:revisit|at some point|someday|some day|maybe later|next year|next quarter)\b", re.I
)
_REQUEST_RE = re.compile(
    r"\b(?:[Cc]an|[Cc]ould|[Ww]ill|[Ww]ould) (?P<who>you|somebody|someone|anyone|anybody|[A-Z][a-z]+) (?:please |also |maybe |just )*"
    r"(?P<clause>[a-z][^?]*)\?",
)
# "Any chance you could add an alert?", "Sam, you'll send the minutes?" - asked the other way round
_YOU_REQUEST_RE = re.compile(
    r"\b(?P<who>you)(?:'ll| will| could| can|(?:'re| are)? (?:okay|ok|alright|good|able|free|happy) to| to)(?! not\b)(?: (?:please|also|maybe|just))* (?P<clause>[a-z][^?]*)\?"
)
# "Lena, I need the forecast update by Thursday, please." - a request by name
_NEED_RE = re.compile(
    r"^(?:and |so |then |okay,? )?(?P<who>[A-Z][a-z]+), (?:I|we)(?: really| also)? need (?:you to )?(?P<clause>[a-z][^.!?]*)"
)
# "Can I leave the legal review with you, Ruth?" is a request too.
_LEAVE_WITH_RE = re.compile(
    r"\b(?:[Cc]an|[Cc]ould|[Mm]ay) I (?:leave|hand|give) (?:you )?(?P<clause>[a-z][^?]*?)(?: with you| to you| over to you)?(?:,? (?P<who>[A-Z][a-z]+))?\?"
)
_OPEN_Q_RE = re.compile(r"\bwho(?:'s| is| wants to| can| will| owns)\b", re.I)
_ACCEPT_RE = re.compile(
    r"^(?:(?:mm+|hmm+|um+|uh+|oh|ah|well|erm),?\s+)*"
    r"(?:yes|yeah|yep|yup|sure|fine|alright|all right|go on then|why not|of course|absolutely|definitely|certainly|gladly|will do|on it|ok(?:ay)?|happy to|"
    r"no problem|can do|you bet|for sure|consider it done|i can|i'll|i will|i'm on it|i'm happy|sounds good)\b",
    re.I,
)
_DECLINE_RE = re.compile(
    r"\b(?:I'd rather not|I (?:really |just |honestly |simply )?(?:can't|cannot|won't)|not this (?:time|week)|I don't have (?:the )?time|"
    r"I'm (?:too )?(?:swamped|stretched|overloaded)|no,? I)\b|^no\b(?!,? (?:problem|worries|rush)\b)",
    re.I,
)
_DONE_RE = re.compile(
    r"\b(?:already|it's done|that's done|is done|was done|that's closed|so that's closed|finished it|took care of)\b",
    re.I,
)
_REJECT_NEXT_RE = re.compile(
    r"^(?:no\b(?!,? (?:problem|worries|rush|objection)\b)|please,? no|let's not|i'd rather not|not (?:now|yet|this time|for this)|we're not|don't)",
    re.I,
)
_VOLUNTEER_RE = re.compile(
    r"\bI(?:'ll| will| can|'m happy to|'d be happy to|'d like to) (?:take|do|own|handle|grab) (?:it|that|this|that one|this one|care of it)\b"
    r"|\bI'm (?:taking|handling|doing) (?:it|that|this)\b|\bleave it (?:with|to) me\b|\bthat's on me\b"
    r"|\blet me (?:take|do|handle|grab|own) (?:it|that|this|that one|this one)\b"
    r"|\b(?:that|this|that one|this one)(?:'s| is) mine\b",
    re.I,
)
# "I could pass her CV to Kevin." is an offer; it becomes an item when someone says "please do".
_TENTATIVE_RE = re.compile(r"\bI (?:could|might|may) (?:also )?(?P<clause>[a-z][^.!?]*)", re.I)
_TAKE_UP_RE = re.compile(
    r"^(?:yes|yeah|please do|please|sure|good idea|great idea|do it|go for it|that would be (?:great|helpful|amazing))\b",
    re.I,
)
_RECAP_RE = re.compile(r"\b(?:recap|to summari[sz]e|action items|next steps|to wrap up|so to sum up)\b", re.I)
_CORRECTION_RE = re.compile(
    r"\b(?:actually|sorry|I said|I told you wrong|correction|I meant|make that|scratch that)\b", re.I
)
_ANAPHOR_RE = re.compile(
    r"^(?:\w+\s+){0,2}(?:it|that|this|those|them|these|both|all of them|that one|this one)\b", re.I
)


def _clean_clause(clause: str) -> str:
    # "do that, I know the redirects best": the task ends where a new subject starts
    clause = re.split(
        r",\s+(?=(?:I|I'm|I've|I'd|we|we're|you|he|she|they|it's|that's|because|since|but)\b)"
        r"|,?\s+but\s+(?=(?:I|I'm|I've|I'd|we|we're|they|it's)\b)",
        clause,
    )[0]
    clause = clause.strip(" ,;:-")
    # a trailing tag question or filler is not part of the task
    clause = re.sub(
        r",?\s*(?:okay|right|alright|too|as well|then|if that works|I think)\s*$", "", clause, flags=re.I
    )
    clause = re.sub(r"^(?:also|just|then|go ahead and|try to|mind)\s+", "", clause, flags=re.I)
    clause = re.sub(r"^(?:start|begin)\s+(?=[a-z]+ing\b)", "", clause, flags=re.I)  # "start calling them"
    clause = re.sub(r",?\s*please$", "", clause, flags=re.I)
    clause = re.sub(r"(?:,?\s+(?:and|or|um+|uh+|er))+,?$", "", clause, flags=re.I)
    return clause.strip(" ,;:-")


def _base_verb(verb: str) -> str:
    """'writes' -> 'write', 'pushes' -> 'push', 'goes' -> 'go' (recaps say what each person does)."""
    if re.search(r"(?:ss|sh|ch|x|z|o)es$", verb):
        return verb[:-2]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _is_weak(clause: str) -> bool:
    """A clause with no task of its own: "do that", "take it", "have both done by Wednesday"."""
    ws = [w for w in words(clause) if w not in STOP and w not in TIME_WORDS]
    rest = [w for w in ws if w not in LIGHT_VERBS and w not in ("ready", "sorted", "covered", "finished")]
    return len(rest) == 0 or bool(_ANAPHOR_RE.match(clause)) and len(rest) <= 1


def _is_meta(clause: str) -> bool:
    first = words(clause)[:1]
    if not first:
        return True
    if first[0] in META_VERBS:
        return True
    if re.search(r"\b(?:call|bring) (?:the|this) meeting to order\b|\badjourn\b", clause, re.I):
        return True
    return bool(re.match(r"(?:look|come back|get back) to (?:that|this|it)\b", clause, re.I))


def _only_light(clause: str) -> bool:
    """ "take that", "do it": no verb of its own (unlike "mentor them", which only lacks its object)."""
    ws = words(clause)
    return not ws or ws[0] in LIGHT_VERBS or ws[0] in STOP


_INTENT_RE = re.compile(
    r"\bI (?:was|am|'m) (?:going|gonna|planning|meaning|meant|supposed) to (?P<c>[^.!?]+)|\bI was gonna (?P<c2>[^.!?]+)",
    re.I,
)


def _intended(text: str) -> str | None:
    """ "I was going to reach out to the parents, but ...": the work someone hands over."""
    m = _INTENT_RE.search(text)
    if not m:
        return None
    return _clean_clause(m.group("c") or m.group("c2")) or None


def find_dues(text: str) -> list[str]:
    """Every date in the text that is not about the past, in order."""
    out = []
    for m in _DUE_RE.finditer(text):
        if _PAST_BEFORE_RE.search(text[: m.start()]):
            continue
        out.append(find_due(m.group(0)) or m.group(0))
    return out


# --------------------------------------------------------------------------- items


@dataclass
class _Item:
    owner: str
    task: str
    segs: list[int]
    due: str | None = None
    extra: list[str] = field(default_factory=list)
    from_request: bool = False
    volunteered: bool = False
    last_seg: int = 0

    def text(self) -> str:
        parts = [self.task, *[e for e in self.extra if e]]
        seen: list[str] = []
        for p in parts:
            if p and not any(content(p) <= content(s) for s in seen if content(p)):
                seen.append(p)
        return " — ".join(_cap(p) if i == 0 else p for i, p in enumerate(seen))


class _Names:
    """Maps first names, last names and full names said in the meeting to participants."""

    def __init__(self, participants: list[str]) -> None:
        self.full = [p for p in participants if p.strip()]
        self.by_token: dict[str, str] = {}
        counts = Counter(t.lower() for p in self.full for t in p.split())
        for p in self.full:
            for t in p.split():
                if counts[t.lower()] == 1:
                    self.by_token[t.lower()] = p

    def resolve(self, token: str | None) -> str | None:
        if not token:
            return None
        return self.by_token.get(token.lower())

    def addressed(self, text: str, exclude: str) -> str | None:
        """The participant a sentence is addressed to ("Maria, can you ...", "... can you, Bob?")."""
        cands = re.findall(r"\b([A-Z][a-z]+)\b", text)
        for c in cands:
            p = self.resolve(c)
            if p and p != exclude:
                return p
        return None


def _segment_sentences(seg: SegmentIn) -> list[str]:
    return sentences(seg["text"])


# Context sentences must not bring in work that is done, rejected or postponed.
_NOT_CONTEXT_RE = re.compile(
    r"\b(?:finished|yesterday|last week|not|no|never|instead|rather|forget|scrap|postpone\w*|revisit|next quarter|next year)\b|n't\b",
    re.I,
)


def _context_before(sents: list[str], idx: int) -> str:
    """Up to two earlier sentences of the same turn that say what the task is about."""
    picked: list[str] = []
    for s in reversed(sents[max(0, idx - 2) : idx]):
        if s.endswith("?") or len(words(s)) < 4 or _DONE_RE.search(s) or _NOT_CONTEXT_RE.search(s):
            break
        if _COMMIT_RE.search(s) or _VOLUNTEER_RE.search(s):
            break
        picked.insert(0, s.rstrip("."))
    ctx = "; ".join(picked)
    return ctx if len(ctx) <= 200 else ctx[:200].rsplit(" ", 1)[0] + " ..."


def extract_items(segments: list[SegmentIn], participants: list[str]) -> list[ActionItem]:
    names = _Names(participants or sorted({s["speaker"] for s in segments}))
    items: list[_Item] = []
    n = len(segments)
    used_reply: set[int] = set()  # segments whose commitments were attached to a request
    recap_from: int | None = None

    def last_item_of(owner: str, before: int, window: int) -> _Item | None:
        for it in reversed(items):
            if it.owner == owner and before - it.last_seg <= window:
                return it
        return None

    def add(it: _Item) -> _Item:
        it.last_seg = max(it.segs)
        items.append(it)
        return it

    for i, seg in enumerate(segments):
        speaker = names.resolve(seg["speaker"].split()[0]) or seg["speaker"]
        text = seg["text"]
        sents = _segment_sentences(seg)
        if recap_from is None and _RECAP_RE.search(text) and i >= n * 0.5:
            recap_from = i

        # 1. requests addressed to someone: an item only once the addressee accepts
        for si, s in enumerate(sents):
            m = (
                _REQUEST_RE.search(s)
                or _PLEASE_RE.search(s)
                or _NEED_RE.search(s)
                or _YOU_REQUEST_RE.search(s)
            )
            lm = None if m else _LEAVE_WITH_RE.search(s)
            if lm is None and (not m or re.match(r"(?:we|I)\b", m.group("who"), re.I)):
                continue
            if lm is not None:
                m = lm
                clause = "own " + _clean_clause(lm.group("clause"))
            else:
                clause = _clean_clause(m.group("clause"))
                clause = re.sub(r"^(?:be able to|be okay to|be ok to)\s+", "", clause, flags=re.I)
            if _is_meta(clause) or re.match(
                r"(?:give us|tell us|tell me|remind (?:me|us)|explain|clarify|describe|show (?:me|us)|walk us|"
                r"share your|start|go first|repeat|hear|see)\b",
                clause,
                re.I,
            ):
                continue
            who = m.group("who") or "you"
            addressee = names.resolve(who) if who[0].isupper() and who.lower() not in ("you",) else None
            if addressee is None and who.lower() == "you":
                addressee = names.addressed(s, speaker) or names.addressed(" ".join(sents[:si]), speaker)
                if addressee is None and i > 0:
                    prev = names.resolve(segments[i - 1]["speaker"].split()[0]) or segments[i - 1]["speaker"]
                    addressee = prev if prev != speaker else None
            open_request = who.lower() in ("somebody", "someone", "anyone", "anybody")
            if addressee is None and not open_request:
                continue
            weak = _is_weak(clause)
            # "can you mentor them?": a real verb, the object said just before
            ctx = _context_before(sents, si)
            before = re.sub(r"^(?:\w+,\s*)?(?:[A-Z][a-z]+,\s*)?", "", s[: m.start()]).strip(" ,")
            said_before = weak and len(content(before)) >= 2 and not _NOT_CONTEXT_RE.search(before)
            if said_before:
                ctx = f"{before}; {ctx}" if ctx else before
            if weak and (said_before or not _only_light(clause) and ctx):
                weak = False
            handover = bool(re.search(r"\binstead\b|\btake (?:\w+ )?over\b", s, re.I)) or weak
            owner, reply_segs, reply_text = None, [], ""
            declined = False
            for j in range(i + 1, min(n, i + 4)):
                rs = segments[j]
                rspeaker = names.resolve(rs["speaker"].split()[0]) or rs["speaker"]
                rtext = rs["text"].strip()
                if rspeaker == speaker:
                    if re.match(r"(?:never mind|forget it|actually,? no)\b", rtext, re.I):
                        break
                    continue
                if _DONE_RE.search(rtext.split(".")[0]) and rspeaker == addressee:
                    break
                if _DECLINE_RE.search(rtext) and not _VOLUNTEER_RE.search(rtext):
                    declined = declined or rspeaker == addressee
                    continue  # a colleague may still take it
                if (rspeaker == addressee or (open_request or owner is None and j > i + 1)) and (
                    _ACCEPT_RE.search(rtext) or _VOLUNTEER_RE.search(rtext) or _COMMIT_RE.search(rtext)
                ):
                    if rspeaker != addressee and not (_VOLUNTEER_RE.search(rtext) or declined):
                        continue
                    owner, reply_segs, reply_text = rspeaker, [j], rtext
                    break
            if owner is None:
                continue
            if handover and weak:
                # "actually, Maria, can you take that instead?" moves the latest item to Maria
                prior = next(
                    (it for it in reversed(items) if i - it.last_seg <= 6 and it.owner != owner), None
                )
                if prior is not None:
                    prior.owner = owner
                    prior.segs += [i, *reply_segs]
                    prior.last_seg = max(prior.segs)
                    used_reply.update(reply_segs)
                    continue
            if weak and re.match(r"(?:\w+,? )?(?:when|what|how|where|why|which)\b", s, re.I):
                continue  # "When could you have them done?" asks for a date, not for work
            if weak:
                # "Amir, any chance you could take it?" about a task named a turn or two before
                topic = next(
                    (
                        t
                        for k in range(i - 1, max(-1, i - 3), -1)
                        for t in reversed(_segment_sentences(segments[k]))
                        if len(content(t)) >= 3 and not _DONE_RE.search(t) and not _NOT_CONTEXT_RE.search(t)
                    ),
                    None,
                )
                if topic is None:
                    continue
                ctx = topic.rstrip(".?")
            if handover and not weak:
                # "Tom, can you take over the vendor review instead?" moves that item to Tom
                cw = content(clause)
                prior = max(
                    (it for it in items if it.owner != owner and cw & content(it.text())),
                    key=lambda it: len(cw & content(it.text())),
                    default=None,
                )
                if prior is not None and len(cw & content(prior.text())) >= 0.5 * len(
                    cw - {"tak", "take", "over"}
                ):
                    prior.owner = owner
                    prior.segs += [i, *reply_segs]
                    prior.last_seg = max(prior.segs)
                    used_reply.update(reply_segs)
                    continue
            if _POSTPONED_RE.search(clause):
                continue
            it = _Item(owner=owner, task=clause, segs=[i, *reply_segs], from_request=True)
            it.due = find_due(clause)
            for rc in _COMMIT_RE.finditer(reply_text):
                rclause = _clean_clause(rc.group("clause"))
                if not _is_meta(rclause):
                    rdue = find_due(rclause)
                    # "today" asked, "this afternoon" answered: the same day, keep the asked one
                    same_day = (
                        rdue
                        and it.due
                        and re.match(r"(?:this (?:morning|afternoon|evening)|tonight)$", rdue, re.I)
                    )
                    it.due = it.due if same_day else (rdue or it.due)
                    if not _is_weak(rclause):
                        it.extra.append(rclause)
            if it.due is None:
                # "Sure, give me until the twentieth." / "Certainly. We'll have those by March 14."
                it.due = next((d for rsent in sentences(reply_text)[:2] if (d := find_due(rsent))), None)
            if ctx and len(content(clause)) < 4:
                it.extra.append(f"re: {ctx}")
            add(it)
            used_reply.update(reply_segs)

        # 2. recap: "Paula gets two more quotes by the twentieth." / "And I send the checklist tomorrow."
        if recap_from is not None and i >= recap_from:
            for s in sents:
                m = re.match(
                    r"^(?:and |then |also |so |finally,? )?(?P<who>[A-Z][a-z]+|I) (?:(?P<to>to|will) )?(?P<verb>[a-z]+s|send|run|take|write|do|book|share|fix|update|own|draft|call|[a-z]+)\b(?P<rest>[^.!?]*)",
                    s.strip(),
                )
                if not m:
                    continue
                who = speaker if m.group("who") == "I" else names.resolve(m.group("who"))
                if who is None or m.group("verb") in ("is", "was", "has", "does", "says", "thinks", "seems"):
                    continue
                verb = m.group("verb")
                if (
                    m.group("who") == "I"
                    and not m.group("to")
                    and verb not in ("send run take write do book share fix update own draft call".split())
                ):
                    continue
                if m.group("who") != "I" and not m.group("to") and not verb.endswith("s"):
                    continue
                base = verb if m.group("who") == "I" or m.group("to") else _base_verb(verb)
                clause = f"{base}{m.group('rest')}".strip()
                due = find_due(clause)
                # the owner may correct a recapped date right away: "Thursday, actually."
                dated_later = any(
                    find_due(t) and re.match(rf"^(?:and |then |also |so )?{m.group('who')}\b", t.strip())
                    for t in sents[sents.index(s) + 1 :]
                )
                for j in range(i + 1, min(n, i + 2) if due and not dated_later else i + 1):
                    rs = segments[j]
                    rspeaker = names.resolve(rs["speaker"].split()[0]) or rs["speaker"]
                    if rspeaker == who and re.search(r"\bactually\b|^no\b", rs["text"], re.I):
                        due = find_due(rs["text"]) or due
                # "Marco gets the staging site by Thursday and writes the FAQ": two items of one person
                first, *more = re.split(r"\s+and\s+(?=[a-z]+s\b)", clause) if not m.group("to") else [clause]
                _merge_recap(items, who, first, due, i)
                for part in more:
                    part = _base_verb(part.split()[0]) + part[len(part.split()[0]) :]
                    _merge_recap(items, who, part, find_due(part), i, create=False)

        # 2b. "Uh, Friday for the runbook actually, I'm out Thursday." - an owner corrects a date
        if recap_from is not None and i > recap_from and _CORRECTION_RE.search(text):
            # the first date said is the new one, unless it is the one taken back ("not Thursday")
            dues = [
                d
                for d in find_dues(text)
                if not re.search(
                    rf"\b(?:not|I said|instead of|rather than)\s+(?:on\s+|by\s+)?{re.escape(d)}", text, re.I
                )
            ]
            mine = [it for it in items if it.owner == speaker]
            said = [it for it in mine if it.due and it.due.lower() in text.lower()]
            about = said or [it for it in mine if len(content(text) & content(it.text())) >= 1]
            if not about:
                # "Thursday, actually." - the owner's item the recap named last
                recapped = [it for it in mine if max(it.segs) >= recap_from]
                about = [max(recapped, key=lambda it: max(it.segs))] if recapped else []
            if dues and len(about) == 1:
                old = (about[0].due or "").lower()
                new = dues[0] if dues[0].lower() != old else None
                if new:
                    about[0].due = new
                    about[0].segs.append(i)

        # 3. first-person commitments by the speaker
        if i in used_reply:
            continue
        pending_volunteer = bool(
            _VOLUNTEER_RE.search(text) or _TAKING_RE.search(text)
        ) and not _DONE_RE.search(text)
        seg_item: _Item | None = None
        for si, s in enumerate(sents):
            taken_up = (
                i + 1 < n
                and segments[i + 1]["speaker"] != seg["speaker"]
                and bool(_TAKE_UP_RE.search(segments[i + 1]["text"].strip()))
            )
            # "I could clean it up?" "Yes please." - an offer asked as a question
            offer_q = s.endswith("?") and taken_up and _TENTATIVE_RE.search(s) is not None
            if (s.endswith("?") and not offer_q) or _DONE_RE.search(s):
                continue
            found_at = [
                (m.start(), _clean_clause(m.group("clause")))
                for m in _COMMIT_RE.finditer(s)
                if not (
                    re.match(r"I can\b", m.group(0), re.I)
                    and words(m.group("clause"))[:1] in ([w] for w in CAN_META)
                )
            ]
            found_at += [
                (m.start(), _clean_clause(m.group("clause").rstrip("?"))) for m in _LET_ME_RE.finditer(s)
            ]
            found_at += [(m.start(), _clean_clause(m.group("clause"))) for m in _SIGN_ME_RE.finditer(s)]
            if taken_up:
                found_at += [
                    (m.start(), _clean_clause(m.group("clause").rstrip("?")))
                    for m in _TENTATIVE_RE.finditer(s)
                ]
            found = [c for _, c in sorted(found_at, key=lambda f: f[0])]
            for tm in _THIRD_WILL_RE.finditer(s):
                who = names.resolve(tm.group("name"))
                if not who or who == speaker:
                    continue
                tclause = _clean_clause(tm.group("clause"))
                if _is_weak(tclause) and re.match(r"(?:take|handle|do|own|cover)\b", tclause):
                    # "Maria will take it": the latest item moves to Maria
                    prior = next(
                        (it for it in reversed(items) if i - it.last_seg <= 6 and it.owner != who), None
                    )
                    if prior is not None:
                        prior.owner = who
                        prior.segs.append(i)
                        prior.last_seg = i
                    continue
                it = _Item(owner=who, task=tclause, segs=[i])
                it.due = find_due(it.task)
                if not _is_weak(it.task) and not _is_meta(it.task) and not _POSTPONED_RE.search(it.task):
                    add(it)
            found = [c for c in found if c and not _is_meta(c) and not _POSTPONED_RE.search(c)]
            if not found:
                # "I'll rerun the tests. Hopefully by Friday." - the date comes a sentence later
                if seg_item is not None and seg_item.due is None and len(words(s)) <= 10:
                    seg_item.due = find_due(s)
                continue
            clause = " and ".join(found)
            # "Today I'm going to look into ...": a date said before the commitment counts too
            first = _COMMIT_RE.search(s) or _LET_ME_RE.search(s) or _SIGN_ME_RE.search(s)
            due = find_due(clause) or (
                find_due(s[first.start() :]) or find_due(s[: first.start()]) if first else None
            )
            if _is_weak(clause):
                if seg_item is not None:  # "I can have both done by Wednesday."
                    seg_item.due = due or seg_item.due
                    continue
                recent = last_item_of(speaker, i, 3)
                if due and recent is not None and recent.due is None and si == 0:
                    # "When could you have them done?" "I'll have them all updated by Friday."
                    recent.due = due
                    recent.segs.append(i)
                    continue
                # "I can do that tomorrow morning": the task is the sentence before
                ante = sents[si - 1] if si > 0 else ""
                ante_m = re.search(r"\bI (?:want|need|have|plan|'d like|would like) to (?P<c>[^.!?]+)", ante)
                if ante_m:
                    seg_item = add(
                        _Item(owner=speaker, task=_clean_clause(ante_m.group("c")), segs=[i], due=due)
                    )
                    continue
                if ante and not ante.endswith("?") and len(content(ante)) >= 2 and not _DONE_RE.search(ante):
                    seg_item = add(
                        _Item(
                            owner=speaker, task=clause, segs=[i], due=due, extra=[f"re: {ante.rstrip('.')}"]
                        )
                    )
                    continue
                # "We need someone to update the status page." "I'll do that." - the turn before says what
                prev = segments[i - 1] if i > 0 and si == 0 else None
                if prev is not None and prev["speaker"] != seg["speaker"] and not _DONE_RE.search(text):
                    ptext = (_segment_sentences(prev)[-1:] or [""])[0]
                    if (
                        len(content(ptext)) >= 2
                        and not _DONE_RE.search(ptext)
                        and not _NOT_CONTEXT_RE.search(ptext)
                    ):
                        meant = _intended(ptext)  # "I was going to send X" "I'll take that off your plate"
                        seg_item = add(
                            _Item(
                                owner=speaker,
                                task=meant or clause,
                                segs=[i - 1, i],
                                due=due or find_due(ptext),
                                extra=[] if meant else [f"re: {ptext}"],
                            )
                        )
                continue
            # continuation of this speaker's item a moment ago ("Yes, I'll cover hotfixes too")
            prior = last_item_of(speaker, i, 3)
            if seg_item is not None:
                seg_item.extra.append(clause)
                seg_item.due = seg_item.due or due
                continue
            if prior is not None and (
                (_ACCEPT_RE.search(text) and not prior.from_request and not due)
                or (prior.volunteered and not prior.task)
            ):
                if prior.volunteered and not prior.task:
                    prior.task, prior.volunteered = clause, False
                    if len(content(clause)) >= 5:
                        prior.extra = []
                else:
                    prior.extra.append(clause)
                prior.segs.append(i)
                prior.last_seg = i
                prior.due = due or prior.due
                continue
            it = _Item(owner=speaker, task=clause, segs=[i], due=due)
            ctx = _context_before(sents, si)
            if ctx:
                it.extra.append(f"re: {ctx}")
            # a volunteer a moment ago ("I can take it.") gives the topic of the request
            vol = last_item_of(speaker, i, 3)
            if vol is not None and vol.volunteered and not vol.task:
                items.remove(vol)
                it.segs = vol.segs + it.segs
                it.extra += vol.extra
            seg_item = add(it)
        if seg_item is None and pending_volunteer and i not in used_reply:
            # "I can take it." with the topic from the question or statement before it
            topic = ""
            for j in range(i - 1, max(-1, i - 3), -1):
                ptext = segments[j]["text"]
                if len(content(ptext)) >= 3:
                    topic = ptext
                    break
            if topic:
                it = _Item(
                    owner=speaker, task="", segs=[i], volunteered=True, extra=[f"re: {topic.rstrip('.?')}"]
                )
                # "I'm on it, should have a fix up by tomorrow midday."
                vm = _VOLUNTEER_RE.search(text) or _TAKING_RE.search(text)
                it.due = find_due(text[vm.end() :]) if vm else None
                add(it)

        # 4. someone else turns it down right away: not an action item
        # (the next turn, or the one after when it is about the same thing)
        if seg_item is not None and not seg_item.from_request:
            for j in range(i + 1, min(n, i + 3)):
                nxt = segments[j]
                nspeaker = names.resolve(nxt["speaker"].split()[0]) or nxt["speaker"]
                if nspeaker == speaker:
                    break
                same_topic = j == i + 1 or bool(content(nxt["text"]) & content(seg_item.text()))
                if same_topic and _REJECT_NEXT_RE.search(nxt["text"].strip()):
                    if seg_item in items:
                        items.remove(seg_item)
                    break

    out: list[ActionItem] = []
    short: list[_Item] = []
    for it in items:
        if it.volunteered and not it.task:
            # a volunteer with no concrete follow-up: keep the topic that was said
            topic = it.extra.pop(0)[4:] if it.extra else ""
            it.task = _intended(topic) or topic
        task = it.text()
        if it.owner not in names.full or not task:
            continue
        if len(content(task)) < 2:
            short.append(it)
            continue
        out.append(
            {
                "owner": it.owner,
                "task": task[:300],
                "due": it.due,
                "segments": [segments[k]["id"] for k in sorted(set(it.segs))],
            }
        )
    kept = _dedupe(out)
    # "Then I can have the graphic by Friday." too short to be a task, but it dates the owner's task
    for it in short:
        cw = content(it.text())
        same = [k for k in kept if k["owner"] == it.owner and cw and cw <= content(k["task"])]
        if len(same) == 1 and it.due and not same[0]["due"]:
            same[0]["due"] = it.due
            same[0]["segments"] = sorted(set(same[0]["segments"]) | {segments[k]["id"] for k in it.segs})
        elif not same and it.due and cw and not it.from_request and not _is_weak(it.task):
            # "I'll get the inspector out Wednesday.": a dated promise is a task even when short
            first = min(segments[k]["id"] for k in it.segs)
            at = next((n for n, k in enumerate(kept) if min(k["segments"]) > first), len(kept))
            kept.insert(
                at,
                {
                    "owner": it.owner,
                    "task": it.text()[:300],
                    "due": it.due,
                    "segments": [segments[k]["id"] for k in sorted(set(it.segs))],
                },
            )
    return kept


def _merge_recap(
    items: list[_Item], owner: str, clause: str, due: str | None, seg: int, *, create: bool = True
) -> None:
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
        best.segs.append(seg)
        if len(cw - content(best.text())) >= 2:  # the recap names what "it" was
            best.extra.append(clause)
        return
    if create and len(cw) >= 2 and not _DONE_RE.search(clause):
        items.append(_Item(owner=owner, task=clause, segs=[seg], due=due, last_seg=seg))


def _dedupe(items: list[ActionItem]) -> list[ActionItem]:
    kept: list[ActionItem] = []
    for it in items:
        cw = content(it["task"])
        dup = None
        for k in kept:
            kw = content(k["task"])
            if k["owner"] == it["owner"] and cw and kw and len(cw & kw) / min(len(cw), len(kw)) >= 0.6:
                dup = k
                break
        if dup is None:
            kept.append(it)
        else:
            dup["segments"] = sorted(set(dup["segments"]) | set(it["segments"]))
            dup["due"] = dup["due"] or it["due"]
    return kept


# --------------------------------------------------------------------------- decisions

_DECISION_RE = re.compile(
    r"\bdecision(?: is|:)|\bdecided\b|\bwe(?:'re| are) going (?:with|ahead with)\b|\bgoing forward with\b|\bwe(?:'ll| will)? (?:go|stay|stick|keep|cut|launch|drop|move|freeze|pause|hold|skip|table|park)\b|\b(?:is|are|be) (?:tabled|shelved|deferred|parked|on hold)\b|\bnot going to (?:pursue|do)\b|"
    r"\bwe'?re not (?:\w+ing)\b|\bwe are not \w+ing\b|\blet's (?!get\b|go through|move on|move to|start|keep this|keep it (?:quick|short|brief|moving)|hear|"
    r"walk|see|begin|talk|do that at|get this|take a|look|recap|wrap|continue|come back|jump|dive|check|discuss|"
    r"put a pin)\w+|\b(?:stays|waits until|is postponed|is not part of|we postpone|we'll postpone|it is\.$)|"
    r"^(?:okay|ok|so|then|agreed|fine|right)?,? ?no (?!problem|worries|need to worry)[a-z]+ [a-z]+|\bagreed,|"
    r"\bI want a (?:freeze|stop|cap|limit)\b|\bwe won't\b|\bis enough\b",
    re.I,
)


# "Let's put both cases in the FAQ": a note to write down, not a decision
_NOTE_RE = re.compile(
    r"\blet's (?:put|add|note|write|capture|track|log|park) (?:\w+ ){0,4}?(?:in|on|to|into) (?:the |our |a )?"
    r"(?:list|faq|doc|document|notes|agenda|backlog|ticket|board|tracker|parking lot|wiki)\b",
    re.I,
)


def extract_decisions(segments: list[SegmentIn]) -> list[tuple[str, list[int]]]:
    found: list[tuple[str, list[int]]] = []
    for i, seg in enumerate(segments):
        sents = _segment_sentences(seg)
        # "... one month of credit is fair." "Agreed." - a proposal someone else agrees to
        agree = re.match(
            r"^(?:okay, |yes, )?(?:agreed|deal|works for me|fine by me)\b(?P<comma>,?)",
            seg["text"].strip(),
            re.I,
        )
        # "Agreed, no press release." says the decision itself; the turn before only gave the reasons
        says_it = agree is not None and agree.group("comma") and len(content(seg["text"][agree.end() :])) >= 2
        if i > 0 and agree and not says_it:
            prev = segments[i - 1]
            if prev["speaker"] != seg["speaker"]:
                last = _segment_sentences(prev)[-1:] or [""]
                if last[0] and not last[0].endswith("?") and len(content(last[0])) >= 3:
                    found.append(
                        (
                            _cap(re.sub(r"^(?:but|and|so) (?:I think )?", "", last[0], flags=re.I)),
                            [prev["id"], seg["id"]],
                        )
                    )
        for si, s in enumerate(sents):
            if s.endswith("?") or len(words(s)) < 4 or not _DECISION_RE.search(s):
                continue
            if si > 0 and re.search(r"\b(?:doing|do|doing it|buying) (?:that|it|this)\b", s, re.I):
                # "We're not doing that": say what "that" is
                s = f"{sents[si - 1].rstrip('.')}: {s[0].lower()}{s[1:]}"
            if _RECAP_RE.search(s) and len(content(s)) < 4:
                continue
            if len(content(s)) < 2:
                continue
            if _NOTE_RE.search(s):
                continue
            text = re.sub(r"^(?:okay|ok|so|then|fine|right|good|great|yes|agreed)[,.]?\s+", "", s, flags=re.I)
            text = re.sub(r"^decision:\s*", "", text, flags=re.I)
            found.append((_cap(text), [seg["id"]]))
    # repeated decisions (a recap at the end) are kept once, with every segment that said them
    out: list[tuple[str, list[int]]] = []
    for text, ids in found:
        cw = content(text)
        dup = next((o for o in out if cw and len(cw & content(o[0])) / len(cw) >= 0.7), None)
        if dup:
            dup[1].extend(ids)
        else:
            out.append((text, ids))
    # "No dark mode, no referral program and no press release": a later summary line that says
    # several earlier decisions again replaces them
    merged: list[tuple[str, list[int]]] = []
    for k, (text, ids) in enumerate(out):
        cw = content(text)
        wider = next(
            (
                o
                for o in out[k + 1 :]
                if cw and len(content(o[0])) > len(cw) and len(cw & content(o[0])) / len(cw) >= 0.75
            ),
            None,
        )
        if wider is not None:
            wider[1].extend(ids)
        else:
            merged.append((text, ids))
    return merged


# --------------------------------------------------------------------------- summary

_FILLER_RE = re.compile(
    r"^(?:thanks|thank you|okay|ok|great|good|perfect|sounds good|fair enough|got it|nice|sure|right|yes|no problem)\b[ ,.!]*$",
    re.I,
)


def _has_number(s: str) -> bool:
    return bool(re.search(r"\d", s)) or any(w in NUMBER_WORDS for w in words(s))


def key_sentences(segments: list[SegmentIn], exclude: set[str], limit: int) -> list[tuple[str, int]]:
    """Sentences that carry the meeting's facts, chosen by how central their words are."""
    cands: list[tuple[int, int, str, str]] = []  # (segment index, order, speaker, sentence)
    for i, seg in enumerate(segments):
        for s in _segment_sentences(seg):
            cands.append((i, len(cands), seg["speaker"], s))
    df: Counter[str] = Counter()
    for _, _, _, s in cands:
        df.update(content(s))
    scored: list[tuple[float, int, str, str, int]] = []
    for i, order, speaker, s in cands:
        cw = content(s)
        if (
            s.endswith("?")
            or len(words(s)) < 6
            or _FILLER_RE.match(s)
            or len(cw) < 4
            or s in exclude
            or _COMMIT_RE.search(s)
        ):
            continue
        if re.match(r"(?:let's|let me|over to you|that's all|any (?:other|questions))", s, re.I):
            continue
        score = sum(math.log1p(df[w]) for w in cw) / math.sqrt(len(cw) + 3)
        if _has_number(s):
            score += 1.2
        if re.search(
            r"\b(?:because|cause|so that|due to|blocked|blocker|over|under|finished|fixed|done|failed|expired|decided)\b",
            s,
            re.I,
        ):
            score += 0.6
        if i <= 2:
            score += 0.8
        scored.append((score, order, speaker, s, segments[i]["id"]))
    picked: list[tuple[float, int, str, str, int]] = []
    for cand in sorted(scored, key=lambda c: (-c[0], c[1])):
        cw = content(cand[3])
        if any(len(cw & content(p[3])) / len(cw) > 0.6 for p in picked):
            continue
        picked.append(cand)
        if len(picked) >= limit:
            break
    picked.sort(key=lambda c: c[1])
    return [(f"{p[2].split()[0]}: {p[3]}", p[4]) for p in picked]


def extract(segments: list[SegmentIn], participants: list[str]) -> Extraction:
    decisions = extract_decisions(segments)
    n_sent = sum(len(_segment_sentences(s)) for s in segments)
    limit = max(7, min(18, round(n_sent * 0.18)))
    key = key_sentences(segments, exclude=set(), limit=limit)
    dec_texts = {d[0] for d in decisions}
    dec_words = [content(d) for d in dec_texts]
    # a sentence already listed as a decision is not repeated in the summary
    key = [
        k
        for k in key
        if not any(dw and len(dw & content(k[0].split(": ", 1)[1])) >= 0.8 * len(dw) for dw in dec_words)
    ]
    return {
        "summary": "\n".join(k[0] for k in key),  # one key sentence per line
        "summary_segments": [k[1] for k in key],
        "decisions": [d[0] for d in decisions],
        "decision_segments": [sorted(set(d[1])) for d in decisions],
        "action_items": extract_items(segments, participants),
    }
