"""Small conversations for the extractor tests: three people and their lines."""

from __future__ import annotations

import unittest

from summaries.extract import SegmentIn, extract

PEOPLE = ["Ann Lee", "Bo Chan", "Cy Moss"]


def seg(i: int, speaker: str, text: str) -> SegmentIn:
    return {"id": i, "speaker": speaker, "text": text}


def segments(*lines: tuple[str, str]) -> list[SegmentIn]:
    """Lines (speaker, text) as segments with ids 1, 2, ..."""
    return [seg(i + 1, s, t) for i, (s, t) in enumerate(lines)]


class PhrasingCase(unittest.TestCase):
    people = PEOPLE

    def items(self, *lines: tuple[str, str]) -> list[dict]:
        return extract(segments(*lines), self.people)["action_items"]
