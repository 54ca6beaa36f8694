"""Stage 3's data: the items found so far, each with the status of its work."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from summaries.extract.text import cap, content
from summaries.extract.windows import FOLLOW_UP_TURNS, HANDOVER_TURNS


class Status(StrEnum):
    COMMITTED = "committed"  # the owner said they will do it
    ACCEPTED = "accepted"  # asked of the owner, who said yes
    DECLINED = "declined"  # asked or offered, and turned down
    DONE = "done"  # already done when it came up
    POSTPONED = "postponed"  # left for later


@dataclass
class Item:
    owner: str
    task: str
    turns: list[int]  # indexes of the turns that said it
    due: str | None = None
    extra: list[str] = field(default_factory=list)  # more words said about it ("re: <topic>")
    status: Status = Status.COMMITTED
    volunteered: bool = False  # "leave it with me" with the task still to be named
    last_turn: int = 0

    @property
    def from_request(self) -> bool:
        return self.status == Status.ACCEPTED

    def text(self) -> str:
        parts = [self.task, *[e for e in self.extra if e]]
        seen: list[str] = []
        for p in parts:
            if p and not any(content(p) <= content(s) for s in seen if content(p)):
                seen.append(p)
        return " — ".join(cap(p) if i == 0 else p for i, p in enumerate(seen))


@dataclass
class Ledger:
    """The open items in the order they were found, and the ones that were turned down or done."""

    items: list[Item] = field(default_factory=list)
    closed: list[Item] = field(default_factory=list)
    answer_turns: set[int] = field(default_factory=set)  # replies whose promises belong to a request

    def add(self, it: Item) -> Item:
        it.last_turn = max(it.turns)
        self.items.append(it)
        return it

    def close(self, it: Item, status: Status) -> None:
        """An item that is not work of this meeting (kept apart, so later turns cannot touch it)."""
        it.status = status
        if it in self.items:
            self.items.remove(it)
        self.closed.append(it)

    def recent_of(self, owner: str, before: int, window: int = FOLLOW_UP_TURNS) -> Item | None:
        """The owner's latest item, said at most `window` turns before."""
        for it in reversed(self.items):
            if it.owner == owner and before - it.last_turn <= window:
                return it
        return None

    def recent_not_of(self, owner: str, before: int) -> Item | None:
        """The latest item of someone else, which "could you own this one instead?" moves to the owner."""
        return next(
            (
                it
                for it in reversed(self.items)
                if before - it.last_turn <= HANDOVER_TURNS and it.owner != owner
            ),
            None,
        )

    def hand_over(self, it: Item, owner: str, *turns: int) -> None:
        """The item moves to a new owner, who took it on in these turns."""
        it.owner = owner
        it.turns.extend(turns)
        it.last_turn = max(it.turns)
