"""Display names of the participants whose audio this SFU worker taps, per meeting.

A meeting lives on one SFU worker, so this is its roster; it changes as taps open (people join)
and close (they leave). Each transcription request carries it (TranscribeRequest.names).
"""

from __future__ import annotations

_ROSTERS: dict[int, dict[int, str]] = {}


def join(meeting: int, participant: int, name: str) -> None:
    if name.strip():
        _ROSTERS.setdefault(meeting, {})[participant] = name.strip()


def leave(meeting: int, participant: int, name: str) -> None:
    people = _ROSTERS.get(meeting, {})
    if people.get(participant) == name.strip():  # not a later tap of the same person
        del people[participant]
    if not people:
        _ROSTERS.pop(meeting, None)


def roster(meeting: int, first: int | None = None) -> list[str]:
    """The meeting's names, ``first``'s (the speaker's) first, then in the order people joined."""
    people = _ROSTERS.get(meeting, {})
    names = [people[first]] if first in people else []
    return names + [n for pid, n in people.items() if pid != first and n not in names]
