"""Helpers of the captions tests: fixtures, a small WER, a meeting with named users.

The audio helpers (WAV, Opus packets, silence) are in conference.testing.audio.
"""

from __future__ import annotations

import re
from pathlib import Path

from accounts import services as account_services
from accounts.models import Membership, User
from conference.testing.base import BaseTestCase, BaseTransactionTestCase, NamedUsersMixin
from rooms import services as room_services
from rooms.models import Meeting, Participant

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def reference(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").strip()


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(ref: str, hyp: str) -> float:
    """Word error rate: word-level edit distance / reference words (case and punctuation ignored)."""
    r, h = _words(ref), _words(hyp)
    if not r:
        return 0.0 if not h else 1.0
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1] / len(r)


class MeetingUsersMixin(NamedUsersMixin):
    """The named users plus dave, an org admin, and erin, a member who was not in the meeting;
    bob and alice attended a meeting of alice's room."""

    dave: User
    erin: User
    p_alice: Participant
    p_bob: Participant
    meeting: Meeting

    def set_up_meeting(self) -> None:
        """Call after set_up_users()."""
        self.dave = account_services.create_user(username="dave", password="password", display_name="Dave")
        Membership.objects.create(organization=self.org, user=self.dave, role=Membership.Role.ADMIN)
        self.erin = account_services.create_user(username="erin", password="password", display_name="Erin")
        Membership.objects.create(organization=self.org, user=self.erin, role=Membership.Role.MEMBER)
        self.p_alice = room_services.join_meeting(room=self.room, user=self.alice)
        self.p_bob = room_services.join_meeting(room=self.room, user=self.bob)
        self.meeting = Meeting.objects.get(pk=self.p_alice.meeting_id)


class MeetingTestCase(MeetingUsersMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.set_up_meeting()


class MeetingTransactionTestCase(MeetingUsersMixin, BaseTransactionTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.set_up_meeting()
