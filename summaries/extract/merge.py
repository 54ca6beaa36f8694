"""Stage 5: the open items as action items, one per task and owner, each traceable to its segments."""

from __future__ import annotations

from collections.abc import Sequence

from summaries.extract.checks import is_weak
from summaries.extract.commitments import intended
from summaries.extract.ledger import Item
from summaries.extract.text import content
from summaries.extract.tidy import tidy_task
from summaries.extract.turns import Names
from summaries.extract.types import ActionItem, Turn

TASK_CHARS = 300  # a task is cut to this length
SAME_TASK = 0.6  # share of content words two tasks of one owner have in common to be one task


def as_action_item(it: Item, task: str, turns: Sequence[Turn]) -> ActionItem:
    return {
        "owner": it.owner,
        "task": task[:TASK_CHARS],
        "due": it.due,
        "segments": [turns[k].segment_id for k in sorted(set(it.turns))],
    }


def dedupe(items: list[ActionItem]) -> list[ActionItem]:
    """A task said twice by its owner is kept once, with every segment that said it."""
    kept: list[ActionItem] = []
    for it in items:
        cw = content(it["task"])
        dup = None
        for k in kept:
            kw = content(k["task"])
            if k["owner"] == it["owner"] and cw and kw and len(cw & kw) / min(len(cw), len(kw)) >= SAME_TASK:
                dup = k
                break
        if dup is None:
            kept.append(it)
        else:
            dup["segments"] = sorted(set(dup["segments"]) | set(it["segments"]))
            dup["due"] = dup["due"] or it["due"]
    return kept


def merge_items(items: list[Item], turns: Sequence[Turn], names: Names) -> list[ActionItem]:
    """The action items: owners in the meeting, tasks of their own, short promises merged into the
    owner's task they date."""
    out: list[ActionItem] = []
    short: list[Item] = []
    for it in items:
        if it.volunteered and not it.task:
            # a volunteer with no concrete follow-up: keep the topic that was said
            topic = it.extra.pop(0)[4:] if it.extra else ""
            it.task = intended(topic) or topic
        task = it.text()
        if it.owner not in names.full or not task:
            continue
        if len(content(task)) < 2:
            short.append(it)
            continue
        out.append(as_action_item(it, task, turns))
    kept = dedupe(out)
    for it in short:
        _place_short(it, kept, turns)
    for k in kept:
        k["task"] = tidy_task(k["task"])
    return kept


def _place_short(it: Item, kept: list[ActionItem], turns: Sequence[Turn]) -> None:
    """ "Then I can have the graphic by Friday.": too short to be a task, but it dates the owner's task."""
    cw = content(it.text())
    same = [k for k in kept if k["owner"] == it.owner and cw and cw <= content(k["task"])]
    if len(same) == 1 and it.due and not same[0]["due"]:
        same[0]["due"] = it.due
        same[0]["segments"] = sorted(set(same[0]["segments"]) | {turns[k].segment_id for k in it.turns})
    elif not same and it.due and cw and not it.from_request and not is_weak(it.task):
        # "I'll get the inspector out Wednesday.": a dated promise is a task even when short
        first = min(turns[k].segment_id for k in it.turns)
        at = next((n for n, k in enumerate(kept) if min(k["segments"]) > first), len(kept))
        kept.insert(at, as_action_item(it, it.text(), turns))
