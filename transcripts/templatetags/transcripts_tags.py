from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from rooms.models import Meeting
from transcripts.formats import clock as _clock
from transcripts.selectors import query_words

register = template.Library()


@register.filter
def clock(seconds: float) -> str:
    return _clock(seconds)


@register.filter
def highlight(text: str, q: str) -> SafeString:
    """Escape ``text`` and wrap each search word found in it in <mark>."""
    words = query_words(q or "")
    if not words:
        return mark_safe(escape(text))  # noqa: S308 - escaped just above
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped


@register.inclusion_tag("transcripts/_transcript_link.html")
def transcript_link(meeting: Meeting) -> dict[str, Any]:
    """The link to a meeting's transcript, for pages of other apps (the meeting page)."""
    return {"meeting": meeting}
