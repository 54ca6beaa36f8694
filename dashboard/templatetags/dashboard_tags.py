from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.safestring import SafeString

from dashboard import charts
from dashboard.selectors import Period, minutes_of

register = template.Library()


@register.filter
def minutes(value: timedelta | None) -> int:
    """A duration in whole minutes (0 for none)."""
    return minutes_of(value)


@register.simple_tag
def chart_svg(chart: charts.Chart, period: Period) -> SafeString:
    caption = (
        f"{chart.title} per {period.grouping}, {chart.first_label} to {chart.last_label}: "
        "the numbers are in the table beside it"
    )
    return charts.svg(chart, caption=caption)


@register.simple_tag
def chart_rows(chart: charts.Chart) -> SafeString:
    return charts.table_rows(chart)
