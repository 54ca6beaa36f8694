"""The summary parts of the meeting page (templates/rooms/meeting.html), which rooms renders."""

from __future__ import annotations

from typing import Any

from django import template

from rooms.models import Meeting
from summaries import selectors

register = template.Library()


@register.inclusion_tag("summaries/_refresh.html")
def summary_refresh(meeting: Meeting) -> dict[str, Any]:
    """A refresh of the page every few seconds while the summary is queued or running."""
    return {"busy": selectors.is_busy(selectors.latest_summary(meeting))}


@register.inclusion_tag("summaries/_summary.html", takes_context=True)
def summary_section(context: template.Context, meeting: Meeting) -> dict[str, Any]:
    """The latest summary with its states, and Summarize/Regenerate for the room's hosts."""
    summary = selectors.latest_summary(meeting)
    return {
        "meeting": meeting,
        "summary": summary,
        "points": selectors.overview_points(summary) if summary else [],
        "busy": selectors.is_busy(summary),
        "can_summarize": selectors.can_summarize(context["request"].user, meeting),
    }
