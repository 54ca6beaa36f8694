"""Figures written as a summary writes them: "four hundred eighty thousand dollars" -> "$480,000",
"fifteen percent" -> "15%", "one point eight" -> "1.8", "forty one" -> "41".

Speech transcripts spell numbers out; a summary reads better (and shorter) with digits. Only a run
of number words that parses as one number is rewritten, and a single word only when a unit
(dollars, percent) or a decimal follows it: "one of them", "six thirty" (a time), "twenty twenty"
stay as they were said.
"""

from __future__ import annotations

import re

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_DIGITS = {"zero": "0", **{w: str(v) for w, v in _UNITS.items()}}
_DIGIT = r"(?:zero|one|two|three|four|five|six|seven|eight|nine)\b"
_NUMBER = "|".join([*_UNITS, *_TEENS, *_TENS, "hundred", *_SCALES])
# A run of number words (with "and" inside, "one hundred and five"), an optional decimal
# ("point eight") and unit. Ordinals stay words: "thirty second" may be a length of time.
_RUN_RE = re.compile(
    rf"\b(?P<run>(?:{_NUMBER})(?:[\s-]+(?:and\s+)?(?:{_NUMBER}))*)"
    rf"(?:\s+point\s+(?P<dec>{_DIGIT}(?:\s+{_DIGIT})*))?"
    r"(?:\s+(?P<unit>dollars|dollar|percent|per cent))?\b",
    re.I,
)


def _group(tokens: list[str]) -> int | None:
    """A number below 1,000 ("two hundred forty five"), or None when the words are no one number."""
    value, i = 0, 0
    if i < len(tokens) and tokens[i] in _UNITS and i + 1 < len(tokens) and tokens[i + 1] == "hundred":
        value, i = _UNITS[tokens[i]] * 100, i + 2
    elif i < len(tokens) and tokens[i] in _TEENS and i + 1 < len(tokens) and tokens[i + 1] == "hundred":
        value, i = _TEENS[tokens[i]] * 100, i + 2
    rest = tokens[i:]
    if rest and rest[0] == "and" and value:
        rest = rest[1:]
    if not rest:
        return value or None
    if len(rest) == 1 and rest[0] in _UNITS:
        return value + _UNITS[rest[0]]
    if len(rest) == 1 and rest[0] in _TEENS:
        return value + _TEENS[rest[0]]
    if rest[0] in _TENS and (len(rest) == 1 or (len(rest) == 2 and rest[1] in _UNITS)):
        return value + _TENS[rest[0]] + (_UNITS[rest[1]] if len(rest) == 2 else 0)
    return None


def parse(words: list[str]) -> int | None:
    """ "four hundred eighty thousand" -> 480000; None for "six thirty" or "twenty twenty five"."""
    total, group = 0, []
    last_scale = None
    for w in words:
        if w in _SCALES:
            if not group or (last_scale is not None and _SCALES[w] >= last_scale):
                return None
            g = _group(group)
            if g is None:
                return None
            total += g * _SCALES[w]
            last_scale, group = _SCALES[w], []
        else:
            group.append(w)
    if group:
        g = _group(group)
        if g is None:
            return None
        total += g
    return total


def _render(m: re.Match[str]) -> str:
    said = m.group(0)
    run = re.split(r"[\s-]+", m.group("run").lower())
    value = parse(run)
    decimal, unit = m.group("dec"), (m.group("unit") or "").lower()
    if value is None:
        return said
    if len(run) == 1 and not (decimal or unit):
        return said  # "one", "two" alone read as well as digits and are often no figure at all
    digits = f"{value:,}"
    if decimal:
        digits = f"{value}." + "".join(_DIGITS[d] for d in decimal.lower().split())
    if unit.startswith("dollar"):
        return f"${digits}"
    if unit:
        return f"{digits}%"
    return digits


def with_digits(text: str) -> str:
    """The text with its spoken figures in digits (words it cannot read as one number stay)."""
    return _RUN_RE.sub(_render, text)
