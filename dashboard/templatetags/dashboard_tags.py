from __future__ import annotations

from datetime import timedelta

from django import template

from dashboard.selectors import minutes_of

register = template.Library()


@register.filter
def minutes(value: timedelta | None) -> int:
    """A duration in whole minutes (0 for none)."""
    return minutes_of(value)
