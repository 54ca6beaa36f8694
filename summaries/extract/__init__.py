"""Deterministic extraction of action items, decisions and key sentences from a transcript.

It always runs (the language model only adds items it can ground) and it never invents text:
every item is built from words said in the meeting and points at the segments it came from.
The rules are about how people talk in meetings (promises, requests and their answers, recaps),
never about a particular meeting; the phrases they listen for are data in `phrases.py`.

Action items go through stages, each a module:
  turns.py        segments -> turns, speakers resolved to participants
  windows.py      the turns a candidate is read with (replies, reactions, the turns before)
  requests.py     requests and their answers            } items with a status
  commitments.py  the speaker's own promises and offers } (ledger.py): committed, accepted,
  recap.py        the recap and the owners' corrections } declined, done, postponed
  checks.py       is it work, a task of its own, turned down?
  merge.py        one action item per task and owner, with its segment ids
decisions.py and summary.py read the same turns for decisions and summary points.
"""

from summaries.extract.checks import has_task_cue, looks_like_task
from summaries.extract.dates import find_due, find_dues
from summaries.extract.items import extract_items, find_items
from summaries.extract.pipeline import extract, overview_budget
from summaries.extract.text import content, sentences, words
from summaries.extract.types import ActionItem, Extraction, SegmentIn

__all__ = [
    "ActionItem",
    "Extraction",
    "SegmentIn",
    "content",
    "extract",
    "extract_items",
    "find_due",
    "find_dues",
    "find_items",
    "has_task_cue",
    "looks_like_task",
    "overview_budget",
    "sentences",
    "words",
]
