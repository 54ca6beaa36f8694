"""Action items: turns -> windows -> items with a status -> checks -> merge."""

from __future__ import annotations

from dataclasses import dataclass

from summaries.extract.commitments import read_commitments
from summaries.extract.ledger import Ledger
from summaries.extract.merge import merge_items
from summaries.extract.recap import read_correction, read_recap
from summaries.extract.requests import read_requests
from summaries.extract.turns import Names, meeting_names, to_turns
from summaries.extract.types import ActionItem, SegmentIn, Turn
from summaries.extract.windows import recap_start


@dataclass
class Found:
    action_items: list[ActionItem]
    ledger: Ledger  # every item with its status, the closed ones too


def collect(turns: list[Turn], names: Names) -> Ledger:
    """Read the turns in order; each stage adds items or updates those of earlier turns."""
    ledger = Ledger()
    recap_from = recap_start(turns)
    for turn in turns:
        read_requests(turn, turns, names, ledger)
        if recap_from is not None and turn.index >= recap_from:
            read_recap(turn, turns, names, ledger)
        if recap_from is not None and turn.index > recap_from:
            read_correction(turn, ledger, recap_from)
        read_commitments(turn, turns, names, ledger)
    return ledger


def items_of(turns: list[Turn], names: Names) -> Found:
    ledger = collect(turns, names)
    return Found(action_items=merge_items(ledger.items, turns, names), ledger=ledger)


def find_items(segments: list[SegmentIn], participants: list[str]) -> Found:
    names = meeting_names(segments, participants)
    return items_of(to_turns(segments, names), names)


def extract_items(segments: list[SegmentIn], participants: list[str]) -> list[ActionItem]:
    return find_items(segments, participants).action_items
