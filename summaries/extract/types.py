"""The data that passes between the extractor's stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict


class SegmentIn(TypedDict):
    """One transcript segment as the extractor reads it."""

    id: int
    speaker: str
    text: str
    start: NotRequired[float]  # seconds from the meeting start (absent: chat, or no times known)
    end: NotRequired[float]


class ActionItem(TypedDict):
    owner: str
    task: str
    due: str | None
    segments: list[int]  # ids of the segments the item was said in


class Extraction(TypedDict):
    summary: str  # the overview, one bullet a line
    summary_segments: list[list[int]]  # the segments of each bullet
    decisions: list[str]
    decision_segments: list[list[int]]
    action_items: list[ActionItem]


@dataclass(frozen=True)
class Turn:
    """One segment of the conversation, with its speaker resolved to a participant."""

    index: int  # position in the meeting
    segment_id: int
    label: str  # the speaker as the transcript names them
    speaker: str  # the participant the label resolves to (the label itself when none does)
    text: str
    sentences: tuple[str, ...]
