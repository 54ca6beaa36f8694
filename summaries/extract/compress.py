"""Short clauses for the overview: a sentence said in a meeting cut into the clauses that carry
its content, without discourse markers, hedges and fillers, and kept only when a clause can be
read on its own (it has a verb and does not start as a subordinate or a dangling pronoun)."""

from __future__ import annotations

import re

from summaries.extract.text import words

MIN_CLAUSE_WORDS = 4

# Where a sentence splits into clauses. The part after ", which" / ", including" only adds to the
# clause before it, and it is read as a clause of its own only when it can stand alone (rarely).
_SUBJECT = (
    r"(?:I|I'm|I've|I'd|we|we're|we've|you|he|she|they|they're|it's|that's|there's|there|the|a|an|our|their|"
    r"all|every|everything|everyone|some|most|nobody|someone|[A-Z][a-z]+|\d+)\b"
)
_SPLIT_RE = re.compile(
    r",\s+(?:and|but|so|because)\s+|;\s+|\s+—\s+|\s+-\s+|:\s+|\s+because\s+|,\s+(?=(?:which|including)\b)|"
    rf",\s+(?={_SUBJECT})"
)
# Words at the start that only run the conversation ("So, honestly, I think the build ...").
_LEAD_RE = re.compile(
    r"^(?:so|okay|ok|well|right|yes|yeah|no|honestly|basically|and|but|also|now|great|good|actually|fine|agreed|"
    r"perfect|alright|sure|oh|um|uh|look|anyway|then|plus|i think|i guess|i mean|you know|to be honest|"
    r"the thing is|good news|bad news|the good news is|the bad news is|the honest answer is|the short answer is|"
    r"in the end|for what it's worth|as i said|on my side|on our side|from my side|"
    r"yesterday|today|this morning|last night|tonight|overnight)\b(?:\s+that\b)?[,\s]+",
    re.I,
)
# Hedges and fillers inside a clause: they cost words and carry no fact.
_HEDGE_RE = re.compile(
    r"\s*\b(?:just|really|actually|basically|honestly|literally|pretty much|pretty|kind of|sort of|"
    r"i think|i guess|you know|i mean|a bit|a little|quite|definitely|totally|simply)\b,?",
    re.I,
)
_TRAILING_TAG_RE = re.compile(r",?\s+(?:right|i think|i guess|you know|as well|too|though|anyway)$", re.I)
# A clause that cannot be read alone: it hangs on the clause before it.
_DANGLING_RE = re.compile(
    r"^(?:(?:mostly|partly|only|even|just)\s+)?(?:which|who|whom|whose|where|when|while|if|unless|because|since|although|though|as|including|"
    r"especially|except|like|than|and|or|but|so|to|for|with|of|that one|that's why)\b",
    re.I,
)
# A clause about something named before it: only worth a place if its other words say a lot.
_VAGUE_RE = re.compile(r"^(?:it|it's|that|that's|this|this is|they|they're|those|these|them|he|she)\b", re.I)
_REQUEST_RE = re.compile(r"\bplease\b|^(?:let's|let me|can you|could you)\b", re.I)
# "above it": what?
_OBJECT_RE = re.compile(r"\s(?:it|them|that one|this one)\b", re.I)
# What the clause is about was said before it ("thirty new ones", "checked a few") or comes in
# the next sentence ("Ethan found the cause"): unreadable alone.
_ELLIPTIC_RE = re.compile(
    r"\s(?:ones\b|one in\b|a few$|(?:the\s+)?(?:cause|problem|issue|reason|answer)$)", re.I
)
_YOU_RE = re.compile(r"\b(?:you|your)\b", re.I)
# Words that make a clause a clause (a finite verb), rather than a list of nouns.
_VERBS = frozenset(
    """is are was were be been has have had do does did will would can could should must might may shall
    isn't aren't wasn't weren't hasn't haven't hadn't don't doesn't didn't won't wouldn't can't couldn't
    shouldn't need needs want wants go goes went come comes came get gets got make makes made take takes took
    give gives gave keep keeps kept run runs ran say says said see sees saw know knows knew think thinks
    thought look looks find finds found feel feels felt leave leaves left put puts set sets cost costs
    stays stay starts start ends end land lands works work moves move shows show sends send pays pay sits
    hurt hurts loads load comes means mean spent sent built paid lost won held led met brought bought caught
    taught fought sold told began wrote spoke broke chose grew drew threw""".split()
) | frozenset(
    f"{v}{end}"
    for v in """happen ship seem fit matter help use expire fail plan ask agree belong depend include require
    cover explain publish lock cut open close wait block test fix handle own lead live grow drop rise fall
    sign buy sell win lose cause break change build bring hold spend save owe lack miss skip drive arrive
    fly apply reach beat cancel launch deliver pass hit track""".split()
    for end in ("", "s", "es")
)
_PERSON_VERBS = frozenset(
    """said says asked asks mentioned mentions thinks thought wants wanted knows knew told tells agreed agrees
    feels felt prefers preferred was has had""".split()
)
_RELATIVES = frozenset("who which that whose whom".split())
_DETERMINERS = frozenset("the a an our their this that my your his her its every each any no".split())
_NOT_PAST = frozenset("hundred red need seed speed feed bed shed".split())
_BASE_VERBS = frozenset(
    w for w in _VERBS if not w.endswith(("s", "ed", "'t")) and w not in {"had", "did", "was", "were", "can"}
) | frozenset("agree decide deal check see try".split())
_CONTRACTED_VERB_RE = re.compile(r"[a-z]'(?:s|re|ve|ll|d|m)\b")


def clauses(sentence: str) -> list[str]:
    """The clauses of a sentence that read on their own, shortened; the whole sentence first."""
    whole = shorten(sentence)
    out = [whole] if readable(whole) else []
    parts = _SPLIT_RE.split(sentence)
    for k, part in enumerate(parts):
        if k:
            part = resolve_which(parts[k - 1], part)
        part = shorten(part)
        first = part.split(" ", 1)[0].lower()
        if k and first in _BASE_VERBS:  # "..., and agree what we change": the subject is before
            continue
        if part != whole and readable(part):
            out.append(part)
    return out


# ", which still uses ...": a relative clause about the noun just before it (not ", which is
# great", ", which means ...": those are about the whole clause before).
_WHICH_RE = re.compile(r"^which\s+(?!(?:\w+ly\s+)?(?:is|was|means|meant|makes|made|would|will|i|we)\b)", re.I)
# Where the noun phrase before ", which" starts: after the last of these words.
_BEFORE_NOUN = frozenset("the a an our their its this that is are was were of for to on in with from".split())
MAX_ANTECEDENT_WORDS = 4


def resolve_which(before: str, part: str) -> str:
    """ "The exception is the billing service" + "which still uses shared keys" -> "billing service
    still uses shared keys": the clause then reads on its own (other parts as they are)."""
    if not _WHICH_RE.match(part):
        return part
    tokens = before.rstrip(" ,").split()
    start = next((k for k in range(len(tokens) - 1, -1, -1) if tokens[k].lower() in _BEFORE_NOUN), None)
    noun = [w.lower() for w in tokens[start + 1 :]] if start is not None else []
    if not 0 < len(noun) <= MAX_ANTECEDENT_WORDS or any(
        w in _VERBS or (w.endswith("ed") and w not in _NOT_PAST) for w in noun
    ):
        return part  # "the battery failed twice, which stopped ...": about the whole clause
    return f"{' '.join(tokens[start + 1 :])} {_WHICH_RE.sub('', part, count=1)}"


_AGENDA_RE = re.compile(
    r"^(?:let's|we'll|we're here to|we need to)\s+(?:go through|go over|talk about|review|discuss|look at)\s+",
    re.I,
)


TOPIC = "Topic: "


def agenda(sentence: str) -> str | None:
    """ "Let's go through the Maple Street escalation" -> "Topic: the Maple Street escalation"."""
    if not _AGENDA_RE.match(sentence):
        return None
    return _AGENDA_RE.sub(TOPIC, sentence.rstrip(".!"), count=1)


def shorten(text: str) -> str:
    text = text.strip(" ,.;!?-—")
    previous = None
    while previous != text:
        previous = text
        text = _LEAD_RE.sub("", text).strip(" ,")
    text = _HEDGE_RE.sub("", text)
    text = _TRAILING_TAG_RE.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    return text


def readable(clause: str) -> bool:
    ws = words(clause)
    if len(ws) < MIN_CLAUSE_WORDS or _DANGLING_RE.match(clause):
        return False
    # "Six vendors that need a review": the only verb is in a relative clause, there is no main one
    rel = next((k for k, w in enumerate(ws) if k and w in _RELATIVES), None)
    if rel is not None:
        ws = ws[:rel]
    past = any(w.endswith("ed") and w not in _NOT_PAST for w in ws[1:])  # "Shared calendars": no verb
    # "the change management document": after a determiner a verb's form is a noun
    verb = any(w in _VERBS and (k == 0 or ws[k - 1] not in _DETERMINERS) for k, w in enumerate(ws))
    return past or verb or bool(_CONTRACTED_VERB_RE.search(" ".join(ws)))


def vagueness(clause: str) -> float:
    """How much a clause leans on what was said before it: 0 (none) to 1 (unreadable alone)."""
    if _VAGUE_RE.match(clause) or _REQUEST_RE.search(clause) or _ELLIPTIC_RE.search(clause):
        return 1.0
    return min(1.0, 0.5 * bool(_OBJECT_RE.search(clause)) + 0.3 * bool(_YOU_RE.search(clause)))


# Headline style: words a reader does not miss in a bullet. Articles (not in "a few", "a week"),
# "their" and "our" ("Their token expired"), intensifiers, "on" before a weekday.
# (a capital "A" inside a clause is a letter: "plan A is cheaper")
_ARTICLE_RE = re.compile(
    r"(?:^(?:The|An|A)|\b(?:the|an|a))\s+(?!(?:few|lot|bit|little|couple|half|week|day|month|year|while|number)\b)"
)
_POSSESSIVE_RE = re.compile(r"\b(?:their|our)\s+(?=[a-z])", re.I)
_INTENSIFIER_RE = re.compile(r"\s*\b(?:also|very|even|in order)\b(?=\s)", re.I)
# When, relative to the meeting's day: the summary is read later, and the clause keeps its fact.
_RELATIVE_TIME_RE = re.compile(
    r"\s*\b(?:last night|this morning|this afternoon|this evening|yesterday|today|tonight|overnight|"
    r"this week|this month|this quarter|this year|so far|right now|at the moment|as usual|by hand)\b",
    re.I,
)
# About when, during the day, something happened ("deployed a fix at about eleven"): a detail.
_CLOCK = r"(?:\d+(?:[:.]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_ABOUT_CLOCK_RE = re.compile(
    rf"\s+at\s+(?:about|around|roughly)\s+{_CLOCK}(?:\s+(?:thirty|fifteen|forty five))?(?:\s*(?:am|pm|o'clock))?\b",
    re.I,
)
# A comparison with the speakers themselves ("happier on the data team than with us").
_THAN_US_RE = re.compile(r"\s+than\s+(?:with\s+|for\s+|at\s+)?(?:us|me|them)$", re.I)
# "we still don't have the credentials" -> "still no credentials".
_DONT_HAVE_RE = re.compile(
    r"^(?:we|they)\s+(still\s+)?(?:don't|do not|didn't|did not)\s+have\s+(?:any\s+)?", re.I
)
# A tail that only adds to what the clause says ("..., including the largest ones").
_TAIL_RE = re.compile(r",\s+(?:including|especially|which|who)\b.*$", re.I)
_ON_DAY_RE = re.compile(r"\bon\s+(?=(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)")
# "We have two finalists" / "There are 31 open bugs": the figure is the subject.
_HAVE_FIGURE_RE = re.compile(
    r"^(?:we|they|there)\s+(?:have|had|are|were)\s+(?=(?:\d+|\$|about\b|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b)",
    re.I,
)


def drop_tail(clause: str) -> str:
    """The clause without a tail that only adds to it: what the overview writes, and weighs."""
    return _TAIL_RE.sub("", clause)


def headline(clause: str) -> str:
    """A clause in the style of a headline: the same facts in fewer words (the words dropped
    carry no content: a point is judged by the content words it keeps)."""
    text = _HAVE_FIGURE_RE.sub("", drop_tail(clause))
    text = _POSSESSIVE_RE.sub("", text)
    text = _ARTICLE_RE.sub("", text)
    text = _INTENSIFIER_RE.sub("", text)
    text = _ON_DAY_RE.sub("", text)
    text = _RELATIVE_TIME_RE.sub("", text)
    text = _ABOUT_CLOCK_RE.sub("", text)
    text = _THAN_US_RE.sub("", text)
    text = _DONT_HAVE_RE.sub(lambda m: f"{m.group(1) or ''}no ", text)
    return re.sub(r"\s+", " ", text).strip(" ,;:")


def people_named(text: str) -> set[str]:
    """Capitalised words said as a person is ("Owen was ...", "Owen's salary", "Nina asked"): people."""
    found = re.finditer(r"(?:^|[.!?]\s+)([A-Z][a-z]+)(?:('s)|\s+([a-z]+))", text)
    return {
        m.group(1)
        for m in found
        if (m.group(2) or m.group(3) in _PERSON_VERBS) and m.group(1).lower() not in _PRONOUNS
    }


# "He asked ..." at a sentence's start: a pronoun, not a name.
_PRONOUNS = frozenset("he she they we you it i".split())


def last_person(sentence: str, people: set[str], exclude: str) -> str | None:
    """The last of ``people`` a sentence names (not ``exclude``, the speaker)."""
    found = [w for w in re.findall(r"\b[A-Z][a-z]+\b", sentence) if w in people and w != exclude]
    return found[-1] if found else None


def name_subject(clause: str, person: str | None) -> str:
    """ "He also mentioned ..." -> "Owen also mentioned ..." when the person just talked about is known."""
    if person is None:
        return clause
    clause = re.sub(r"^(?:he|she)'d\b", f"{person} would", clause, count=1, flags=re.I)
    clause = re.sub(r"^(?:he|she)'ll\b", f"{person} will", clause, count=1, flags=re.I)
    return re.sub(r"^(?:he|she)\b(?!')", person, clause, count=1, flags=re.I)
