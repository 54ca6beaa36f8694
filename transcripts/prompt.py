"""What the decoder is told before it hears an utterance, and names spelled as the roster spells them.

Whisper takes "previous text" as context: names in it are far more likely to come out spelled
that way. The prompt holds the participants' display names, the room's name and the meeting's
last caption words; ``respell`` then puts the roster's spelling (accents, hyphens, capitals) on
any name the decoder wrote plainly ("Siobhan Nakamura Oduya" -> "Siobhán Nakamura-Oduya").
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict, deque

MAX_NAMES = 30  # a bigger meeting: the first 30 (the speaker first)
RECENT_WORDS = 40  # of the meeting's last finals ...
PROMPT_WORDS = 60  # ... fewer when names fill the prompt (Whisper reads about 100 tokens of it)
MEETINGS_REMEMBERED = 200


def clean_names(names: object) -> list[str]:
    """Distinct, non-empty display names (from a message: anything else is ignored)."""
    if not isinstance(names, list | tuple):
        return []
    out: list[str] = []
    for n in names:
        if isinstance(n, str) and n.strip() and n.strip() not in out:
            out.append(" ".join(n.split())[:80])
    return out[:MAX_NAMES]


def decoder_prompt(names: list[str], room_name: str = "", recent: str = "") -> str:
    """Names first, then the room, then what was said last (nearest to the words to come)."""
    parts = []
    if names:
        parts.append(", ".join(names) + ".")
    if room_name.strip():
        parts.append(room_name.strip().rstrip(".") + ".")
    room_for_recent = min(RECENT_WORDS, PROMPT_WORDS - len(" ".join(parts).split()))
    recent_words = recent.split()[-room_for_recent:] if room_for_recent > 0 else []
    if recent_words:
        parts.append(" ".join(recent_words))
    return " ".join(" ".join(parts).split()[:PROMPT_WORDS])


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _pattern(part: str) -> re.Pattern[str] | None:
    """A name part that matches its plain spellings: any case, with or without accents, hyphens
    written as spaces or left out."""
    pieces = [p for p in re.split(r"[-\s]+", part) if p]
    if not pieces or len(_fold("".join(pieces))) < 3:
        return None
    alts = []
    for piece in pieces:
        chars = []
        for c in piece:
            plain = _fold(c)
            chars.append(
                f"(?:{re.escape(c)}|{re.escape(plain)})" if plain and plain != c.lower() else re.escape(c)
            )
        alts.append("".join(chars))
    return re.compile(r"(?<![\w-])" + r"[-\s]?".join(alts) + r"(?![\w-])", re.IGNORECASE)


def respell(text: str, names: list[str]) -> str:
    """``text`` with each roster name (whole, or each of its parts) in the roster's spelling."""
    if not text or not names:
        return text
    parts: list[str] = []
    for name in names:
        for part in [name, *name.split()]:
            if part not in parts:
                parts.append(part)
    parts.sort(key=len, reverse=True)  # "Nakamura-Oduya" before "Nakamura"
    for part in parts:
        pattern = _pattern(part)
        if pattern is not None:
            text = pattern.sub(lambda m, part=part: _spelled(m.group(0), part), text)
    return text


def _spelled(said: str, part: str) -> str:
    # "will" stays a verb for a "Will" in the room: only accents and hyphens make a plain
    # lower-case word a name.
    if said.islower() and said.isascii() and part.isascii() and not re.search(r"[-\s]", part):
        return said
    return part


class RecentCaptions:
    """The last final words of each meeting this worker transcribed (best effort: workers share
    the load, so each knows its own finals only)."""

    def __init__(self) -> None:
        self._by_meeting: OrderedDict[int, deque[str]] = OrderedDict()

    def add(self, meeting: int, text: str) -> None:
        words = self._by_meeting.setdefault(meeting, deque(maxlen=RECENT_WORDS))
        self._by_meeting.move_to_end(meeting)
        words.extend(text.split())
        while len(self._by_meeting) > MEETINGS_REMEMBERED:
            self._by_meeting.popitem(last=False)

    def text(self, meeting: int) -> str:
        return " ".join(self._by_meeting.get(meeting, ()))
