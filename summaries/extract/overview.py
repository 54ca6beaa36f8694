"""The overview: the meeting's facts in 3-7 bullets grouped by topic, each a plain sentence in the
third person (no "Emma: ..." quotes), within a length budget, each with the segments it came from.

The facts are clauses of the transcript's statements, chosen by how central their words are
(summary.score) per word, and only while they add words not said yet (nor in a decision). The
clauses picked are then grouped, in meeting order, into bullets at the largest jumps between the
turns they come from: a jump is where the meeting moved to another topic.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from summaries.extract.compress import (
    TOPIC,
    agenda,
    clauses,
    drop_tail,
    headline,
    last_person,
    name_subject,
    people_named,
    vagueness,
)
from summaries.extract.cues import OUTCOME_RE
from summaries.extract.figures import with_digits
from summaries.extract.phrases import CHATTER
from summaries.extract.summary import Candidate, has_number, is_point
from summaries.extract.text import cap, content, stem, words
from summaries.extract.types import Turn

# Words of overview per minute of meeting: issue 13 asks for at most 120 words per 10 minutes.
WORDS_PER_MINUTE = 12
SPOKEN_WORDS_PER_MINUTE = 140  # the meeting's length when the segments carry no times
MIN_BULLETS, MAX_BULLETS = 3, 7
MINUTES_PER_BULLET = 5  # bullets = minutes / this + 2, within the bounds above
MIN_CONTENT = 3  # a fact names something and says something of it: "Role is closed" says too little
NEW_WORDS = 0.5  # a clause is picked only when at least this share of its content words is new
NUMBER_BONUS = 0.8  # figures are facts
OUTCOME_BONUS = 0.4  # causes and outcomes
NAME_BONUS = 0.5  # a stem said with a capital inside a sentence: a name, a product, a customer
OPENING_BONUS = 0.5  # the first turns say what the meeting is about
OPENING_TURNS = 3
AGENDA_BONUS = 0.5  # "Let's go through <the topic>": what the whole meeting is about
WEIGHT = math.log1p
SPEAKER_WEIGHT = 0.5  # a participant's name in a clause
CHATTER_WEIGHT = 0.1  # a word that runs the conversation ("thanks", "think", "decision")


@dataclass(frozen=True)
class Point:
    text: str
    segments: list[int]


def overview_words(text: str) -> int:
    """Words as the reader (and evaluate_summaries) counts them: what is between spaces, so
    "$480,000" and "Owen's" are one word each."""
    return len(text.split())


def budget_words(minutes: float) -> int:
    return int(WORDS_PER_MINUTE * minutes)


def bullet_count(minutes: float) -> int:
    return max(MIN_BULLETS, min(MAX_BULLETS, round(minutes / MINUTES_PER_BULLET) + 2))


def overview(turns: Sequence[Turn], minutes: float | None, known: set[str]) -> list[Point]:
    """The bullets of the meeting; ``known``: content words said elsewhere (the decisions)."""
    if minutes is None:
        minutes = sum(len(words(t.text)) for t in turns) / SPOKEN_WORDS_PER_MINUTE
    cands = _candidates(turns)
    picked = pick(cands, _weights(turns), known, budget_words(minutes))
    picked.sort(key=lambda c: c.order)
    names = _capitalised(turns)
    return [_point(group, names) for group in _groups(picked, bullet_count(minutes))]


def _weights(turns: Sequence[Turn]) -> dict[str, float]:
    """How central each content stem is: said in many turns, or a name."""
    df: Counter[str] = Counter()
    named: set[str] = set()
    for t in turns:
        df.update(content(t.text))
        for s in t.sentences:
            named |= content(" ".join(re.findall(r"(?<=\s)[A-Z][a-z]+", s)))
    weights = {w: WEIGHT(n) for w, n in df.items()}
    for w in named & weights.keys():
        weights[w] += NAME_BONUS
    # participants are named whenever they are asked something: that says nothing of a topic
    for w in content(" ".join({t.speaker for t in turns})) & weights.keys():
        weights[w] = SPEAKER_WEIGHT
    for w in _CHATTER & weights.keys():
        weights[w] = CHATTER_WEIGHT
    return weights


_CHATTER = {stem(w) for w in CHATTER}


def pick(cands: list[Candidate], weights: dict[str, float], known: set[str], budget: int) -> list[Candidate]:
    """Greedy by the weight of the new content stems a clause adds per word (maximal marginal
    relevance: a clause that repeats what is picked gains little), while the budget holds."""
    said = set(known)
    used = 0
    picked: list[Candidate] = []
    left = list(cands)
    while left:
        best, best_gain = None, 0.0
        for c in left:
            n = overview_words(c.sentence)
            cw = content(c.spoken)  # as said: a figure weighs its words ("one hundred percent")
            new = cw - said
            if used + n > budget or len(cw) < MIN_CONTENT or len(new) < NEW_WORDS * len(cw):
                continue
            gain = (sum(weights.get(w, 0.0) for w in new) + _bonus(c)) * (1 - vagueness(c.sentence)) / n
            if gain > best_gain or (gain == best_gain and best is not None and c.order < best.order):
                best, best_gain = c, gain
        if best is None:
            break
        picked.append(best)
        said |= content(best.spoken)
        used += overview_words(best.sentence)
        left = [c for c in left if c is not best]
    return picked


def _bonus(c: Candidate) -> float:
    value = NUMBER_BONUS if has_number(c.sentence) else 0.0
    if OUTCOME_RE.search(c.sentence):
        value += OUTCOME_BONUS
    if c.turn < OPENING_TURNS:
        value += OPENING_BONUS
    if c.sentence.startswith(TOPIC):
        value += AGENDA_BONUS
    return value


def _candidates(turns: Sequence[Turn]) -> list[Candidate]:
    """Every readable clause of every statement; clauses of one sentence share its ``order``
    (at most one of them is picked)."""
    out: list[Candidate] = []
    order = 0
    people = people_named(" ".join(t.text for t in turns)) | {
        t.speaker.split()[0] for t in turns if t.speaker
    }
    speakers = content(" ".join({t.speaker for t in turns}))
    person: str | None = None  # the person talked about last ("he", "she")
    for t in turns:
        name = t.speaker.split()[0] if t.speaker else ""
        for s in t.sentences:
            order += 1
            if t.index < OPENING_TURNS and (about := agenda(s)):
                out.append(
                    Candidate(t.index, order, t.label, headline(with_digits(about)), t.segment_id, about)
                )
            elif is_point(s, set()):
                # "Bea was great, but she ...": "she" is who the sentence named before it
                said_before = re.split(r"\b(?:he|she)\b", s, maxsplit=1, flags=re.I)[0]
                here = last_person(said_before, people, name) or person
                for clause in clauses(s):
                    spoken = third_person(name_subject(drop_tail(clause), here), name)
                    if _roll_call(spoken, speakers):
                        continue
                    out.append(
                        Candidate(
                            t.index, order, t.label, headline(with_digits(spoken)), t.segment_id, spoken
                        )
                    )
            person = last_person(s, people, name) or person
    return out


def _roll_call(clause: str, speakers: set[str]) -> bool:
    """ "Lena sees Peter, Mia, Jake and Ivy": about who is in the call, not about the topic."""
    cw = content(clause)
    named = cw & speakers
    return len(named) >= 2 and 2 * len(named) >= len(cw)


def _groups(picked: list[Candidate], bullets: int) -> list[list[Candidate]]:
    """Meeting-order runs of clauses of about equal size, each cut at the largest jump between
    turns near where an equal split would cut."""
    n = len(picked)
    if n <= bullets:
        return [[c] for c in picked]
    cuts: list[int] = []
    reach = max(1, n // (2 * bullets))
    for i in range(1, bullets):
        ideal = round(i * n / bullets)
        window = [k for k in range(ideal - reach, ideal + reach + 1) if (cuts[-1] if cuts else 0) < k < n]
        if window:
            cuts.append(max(window, key=lambda k: (picked[k].turn - picked[k - 1].turn, -abs(k - ideal))))
    groups, start = [], 0
    for k in [*cuts, n]:
        groups.append(picked[start:k])
        start = k
    return [g for g in groups if g]


def _capitalised(turns: Sequence[Turn]) -> set[str]:
    """Words said with a capital inside a sentence: names ("Owen", "Chicago", "Postgres")."""
    found: set[str] = set()
    for t in turns:
        for s in t.sentences:
            found |= set(re.findall(r"(?<=\s)[A-Z][\w']*", s))
        found |= set(t.speaker.split())
    return found


def _point(group: list[Candidate], names: set[str]) -> Point:
    parts = [group[0].sentence, *(_lower_start(c.sentence, names) for c in group[1:])]
    return Point(cap("; ".join(parts)) + ".", sorted({c.segment_id for c in group}))


def _lower_start(clause: str, names: set[str]) -> str:
    """ "Everything new goes ..." inside a bullet: "everything new goes ..." (a sentence's first
    word has a capital only there; names, "I" and "Q3" keep theirs)."""
    first = clause.split(" ", 1)[0]
    keep = (
        first in names
        or first == "I"
        or first.startswith("I'")
        or (len(first) > 1 and not first[1:].islower())
    )
    return clause if keep or not first[:1].isupper() else clause[:1].lower() + clause[1:]


# "I" becomes the speaker: "I've seen" -> "Nina has seen", "I found" -> "Ethan found".
_I_FORMS = {
    "i'm": "is",
    "i am": "is",
    "i've": "has",
    "i have": "has",
    "i'd": "would",
    "i'll": "will",
    "i don't": "doesn't",
    "i haven't": "hasn't",
    "i'm not": "is not",
    "i do": "does",
}
_I_FORM_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in _I_FORMS) + r")\b", re.I)
_I_VERB_RE = re.compile(r"\bI\s+([a-z]+(?:'[a-z]+)?)\b(\s+[a-z]+ed\b)?")  # "I spot checked": as it is
_UNCHANGED_AFTER_I = {
    "was", "can", "can't", "could", "couldn't", "should", "shouldn't", "would", "wouldn't", "will", "won't",
    "might", "must", "had", "did", "didn't", "just", "also", "still", "already", "really", "never", "always",
    "found", "made", "took", "sent", "got", "saw", "said", "told", "thought", "knew", "went", "came", "ran",
    "wrote", "spoke", "left", "put", "set", "kept", "met", "paid", "heard", "felt", "built", "bought",
    "brought", "caught", "spent", "lost", "won", "read", "let", "gave", "began", "chose", "sold", "forgot",
    "held", "led", "meant", "dealt", "drew", "grew", "threw", "flew", "wore", "broke", "woke", "hung", "stuck",
    "fought", "taught", "understood", "stood", "sat", "became", "hit", "cut", "shut", "quit", "hurt",
}  # fmt: skip


def third_person(text: str, name: str) -> str:
    """A clause said in the first person, about its speaker by name (we and our stay)."""
    if not name or not re.search(r"\b(?:I|I'\w+|[Mm]y|me)\b", text):
        return text
    text = _I_FORM_RE.sub(lambda m: f"{name} {_I_FORMS[m.group(1).lower()]}", text)
    text = _I_VERB_RE.sub(
        lambda m: f"{name} {m.group(1)}{m.group(2)}" if m.group(2) else f"{name} {_third(m.group(1))}", text
    )
    text = re.sub(r"\b[Mm]y\b", f"{name}'s", text)
    return re.sub(r"\bme\b", name, text)


def _third(verb: str) -> str:
    if verb in _UNCHANGED_AFTER_I or verb.endswith(("ed", "n't")):
        return verb
    if re.search(r"(?:s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"
