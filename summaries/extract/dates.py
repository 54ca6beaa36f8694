"""Due dates as said in a meeting ("by Friday", "the week of the third", "end of day Monday")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from summaries.extract.phrases import alt

# Names of days and months; "may" only as a month when a day follows ("May 5th", not "we may").
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
    "december", r"may(?=\s+\w+(?:st|nd|rd|th)\b)",
)  # fmt: skip
ORDINAL_WORDS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
    "nineteenth", "twentieth", "thirtieth",
)  # fmt: skip
# Nouns after an ordinal that make it a count, not a day ("the second round", "Friday the first call").
NOT_DATE_NOUNS = (
    "quarter", "round", "time", "wave", "step", "version", "thing", "group", "item", "half", "one", "call",
    "draft", "pass", "place", "week", "month", "year", "day", "two", "three", "person", "people",
)  # fmt: skip
# Parts of a day said after it ("Thursday noon").
DAY_PARTS = ("morning", "afternoon", "evening", "noon", "midday", "lunchtime", "night")

_DAY = alt(DAYS)
_MONTH = alt(MONTHS)
_ORD_WORD = alt(ORDINAL_WORDS)
_ORD = rf"(?:(?:twenty|thirty)[ -]{_ORD_WORD}|{_ORD_WORD}|\d{{1,2}}(?:st|nd|rd|th)?)"
_NOT_DATE_NOUN = rf"(?!\s+{alt(NOT_DATE_NOUNS)}\b)"

# The ways a deadline is said, longest forms first.
DUE_PATTERNS = (
    # a week: "the week of the tenth"
    rf"(?:the )?week of (?:{_MONTH} {_ORD}|the {_ORD}(?: of {_MONTH})?|{_DAY})",
    # a weekday, maybe with its date and the part of the day: "this Tuesday, the fourth", "Monday noon"
    rf"(?:(?:next|this) )?{_DAY}(?:'s)?(?:,? (?:the )?{_ORD}{_NOT_DATE_NOUN}(?: of {_MONTH})?|,? {_MONTH} {_ORD})?"
    rf"(?: {alt(DAY_PARTS)})?",
    # a date: "March fourteenth"
    rf"{_MONTH} {_ORD}",
    # a day of the month: "the twentieth" (but not "the first review")
    rf"the (?!(?:first|second|third|last)\s+(?!of\b)[a-z])\b{_ORD}{_NOT_DATE_NOUN}(?: of {_MONTH})?",
    # the end of a day or a period
    rf"(?:the )?end of (?:the )?day (?:on )?(?:(?:next|this) )?{_DAY}",
    r"(?:the )?end of (?:the |next |this )?(?:day|week|month|quarter|year|sprint)",
    r"\beod\b",
    # days near today
    r"(?:tomorrow|today|tonight)(?: morning| afternoon| evening| night| noon| midday| lunchtime)?",
    r"this (?:morning|afternoon|evening|week)",
    r"next (?:week|month|sprint)",
    r"(?:the )?close of business|\bcob\b",
    r"(?:in|within) (?:two|three|a couple of) (?:days|weeks)",
)
_DUE_RE = re.compile("|".join(f"(?:{p})" for p in DUE_PATTERNS), re.I)

# Words just before a date that make it a past event or a start, not a deadline.
_PAST_BEFORE_RE = re.compile(
    r"\b(?:was|were|did|sent|went|came|made|got|took|said|began|ran|since)\s+(?:on\s+|by\s+|in\s+|at\s+)?$"
    # a past participle before "on": the past ("reported on Monday"); before "by" it is a deadline
    r"|\b\w+ed\s+(?:on\s+|in\s+|at\s+)?$"
    # when something starts ("on leave from Monday"), not a deadline
    r"|\b(?:from|starting|after)\s+(?:next\s+|this\s+)?$",
    re.I,
)
_STARTS_WITH_NAME_RE = re.compile(rf"(?:{_DAY}|{_MONTH})", re.I)


def _deadlines(text: str) -> Iterator[re.Match[str]]:
    return (m for m in _DUE_RE.finditer(text) if not _PAST_BEFORE_RE.search(text[: m.start()]))


def _as_said(due: str) -> str:
    due = due.strip(" ,")
    due = re.sub(r"'s$", "", due)
    if _STARTS_WITH_NAME_RE.match(due):
        return due[0].upper() + due[1:]
    return due[0].lower() + due[1:]  # "Today I'll ..." -> "today"


def find_due(text: str) -> str | None:
    """The first date in the text that is not about the past."""
    found = next(_deadlines(text), None)
    return _as_said(found.group(0)) if found else None


def find_dues(text: str) -> list[str]:
    """Every date in the text that is not about the past, in order."""
    return [find_due(m.group(0)) or m.group(0) for m in _deadlines(text)]
