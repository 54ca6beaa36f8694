"""Words, stems, sentences and task clauses: the text helpers every stage uses."""

from __future__ import annotations

import re

from summaries.extract.phrases import (
    LEADING_WORDS,
    NEW_SUBJECTS,
    NEW_SUBJECTS_AFTER_BUT,
    STOP,
    TIME_WORDS,
    TRAILING_FILLERS,
    TRAILING_TAGS,
    alt,
)


def words(text: str) -> list[str]:
    # "480,000" and "1.8" are one word each (the overview writes figures in digits)
    return re.findall(r"[a-z0-9]+(?:[,.][0-9]+)*(?:'[a-z]+)?", text.lower())


def stem(w: str) -> str:
    for suf in ("ing", "ies", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)] + ("y" if suf == "ies" else "")
            break
    return w.rstrip("e") if len(w) > 3 else w


def content(text: str) -> set[str]:
    """The stems of the words that carry a topic (no stop words, no dates)."""
    return {stem(w) for w in words(text) if w not in STOP and w not in TIME_WORDS and len(w) > 1}


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", text.strip())
    return [p.strip() for p in parts if p.strip()]


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


_NEW_SUBJECT_RE = re.compile(
    rf",\s+(?={alt(NEW_SUBJECTS)}\b)|,?\s+but\s+(?={alt(NEW_SUBJECTS_AFTER_BUT)}\b)",
)
_TRAILING_TAG_RE = re.compile(rf",?\s*{alt(TRAILING_TAGS)}\s*$", re.I)
_LEADING_WORD_RE = re.compile(rf"^{alt(LEADING_WORDS)}\s+", re.I)
_START_DOING_RE = re.compile(r"^(?:start|begin)\s+(?=[a-z]+ing\b)", re.I)  # "start calling them"
_PLEASE_END_RE = re.compile(r",?\s*please$", re.I)
_TRAILING_FILLER_RE = re.compile(rf"(?:,?\s+{alt(TRAILING_FILLERS)})+,?$", re.I)


def clean_clause(clause: str) -> str:
    """The task in a clause: up to where a new subject starts, without tags and fillers."""
    clause = _NEW_SUBJECT_RE.split(clause)[0]
    clause = clause.strip(" ,;:-")
    clause = _TRAILING_TAG_RE.sub("", clause)
    clause = _LEADING_WORD_RE.sub("", clause)
    clause = _START_DOING_RE.sub("", clause)
    clause = _PLEASE_END_RE.sub("", clause)
    clause = _TRAILING_FILLER_RE.sub("", clause)
    return clause.strip(" ,;:-")


def base_verb(verb: str) -> str:
    """'writes' -> 'write', 'pushes' -> 'push', 'goes' -> 'go' (recaps say what each person does)."""
    if re.search(r"(?:ss|sh|ch|x|z|o)es$", verb):
        return verb[:-2]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb
