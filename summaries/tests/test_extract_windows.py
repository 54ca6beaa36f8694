"""Stage 2: the turns a candidate is read with."""

from __future__ import annotations

import unittest

from summaries.extract.turns import Names, to_turns
from summaries.extract.types import Turn
from summaries.extract.windows import context_before, earlier, reactions, recap_start, replies
from summaries.tests.extract_helpers import PEOPLE, segments


def turns(*lines: tuple[str, str]) -> list[Turn]:
    return to_turns(segments(*lines), Names(PEOPLE))


class WindowTests(unittest.TestCase):
    talk = turns(
        *[(p, f"Line {k}.") for k, p in enumerate(["Ann Lee", "Bo Chan", "Ann Lee", "Cy Moss", "Bo Chan"])]
    )

    def test_replies_are_the_next_three_turns(self) -> None:
        self.assertEqual([t.index for t in replies(self.talk, 0)], [1, 2, 3])
        self.assertEqual([t.index for t in replies(self.talk, 3)], [4])

    def test_reactions_stop_when_the_speaker_talks_again(self) -> None:
        self.assertEqual([t.index for t in reactions(self.talk, 0)], [1])
        self.assertEqual([t.index for t in reactions(self.talk, 2)], [3, 4])

    def test_earlier_turns_nearest_first(self) -> None:
        self.assertEqual([t.index for t in earlier(self.talk, 3)], [2, 1])
        self.assertEqual([t.index for t in earlier(self.talk, 0)], [])

    def test_a_recap_counts_only_in_the_second_half(self) -> None:
        early = turns(("Ann Lee", "Next steps first."), ("Bo Chan", "Sure."), ("Cy Moss", "Ok."))
        self.assertIsNone(recap_start(early))
        late = turns(("Ann Lee", "Hi."), ("Bo Chan", "Hello."), ("Ann Lee", "Quick recap then."))
        self.assertEqual(recap_start(late), 2)

    def test_context_stops_at_a_question_or_finished_work(self) -> None:
        sents = ["Is the mirror slow?", "The mirror in Oslo needs new disks", "I'll order them."]
        self.assertEqual(context_before(sents, 2), "The mirror in Oslo needs new disks")
        done = ["The new disks are already installed there", "I'll test them."]
        self.assertEqual(context_before(done, 1), "")
