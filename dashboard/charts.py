"""Bar charts drawn on the server: an SVG and the table of its numbers, beside it.

No chart library and no script: the page works without JavaScript and under the CSP. The markup
is made here with format_html (escaped) rather than in a template loop: seven charts of 90 bars
and their tables are ~1,300 elements, which Django's template engine takes ~100 ms to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 600, 180  # the viewBox; the SVG scales to its box
LEFT, BOTTOM, TOP = 40, 20, 10  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: list[Bar]
    maximum: int  # the value at the top of the axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM
    top: int = TOP
    first_label: str = ""
    last_label: str = ""


def nice_maximum(value: int) -> int:
    """A round number at or above ``value`` for the top of the axis (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def bar_chart(key: str, title: str, series: list[tuple[date, int]], *, grouping: str) -> Chart:
    maximum = nice_maximum(max((v for _, v in series), default=0))
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(series), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, (start, value) in enumerate(series):
        h = plot_h * value / maximum
        label = f"{'week of ' if grouping == 'week' else ''}{start.isoformat()}"
        bars.append(
            Bar(
                x=round(LEFT + i * slot + gap / 2, 2),
                y=round(HEIGHT - BOTTOM - h, 2),
                width=round(slot - gap, 2),
                height=round(h, 2),
                label=label,
                value=value,
            )
        )
    return Chart(
        key=key,
        title=title,
        bars=bars,
        maximum=maximum,
        first_label=series[0][0].isoformat() if series else "",
        last_label=series[-1][0].isoformat() if series else "",
    )


def svg(chart: Chart, *, caption: str) -> SafeString:
    """The chart as an image whose text alternative points at the table (``caption``)."""
    bars = format_html_join(
        "",
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" data-value="{}"><title>{}: {}</title></rect>',
        ((b.x, b.y, b.width, b.height, b.value, b.label, b.value) for b in chart.bars),
    )
    return format_html(
        '<svg class="chart-svg" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-{key}-t" '
        'data-metric="{key}" data-bars="{n}"><title id="chart-{key}-t">{caption}</title>'
        '<line class="chart-axis" x1="{left}" y1="{base}" x2="{w}" y2="{base}"/>'
        '<line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>'
        '<text class="chart-label" x="{lx}" y="{ty}" text-anchor="end">{max}</text>'
        '<text class="chart-label" x="{lx}" y="{base}" text-anchor="end">0</text>{bars}'
        '<text class="chart-label" x="{left}" y="{by}">{first}</text>'
        '<text class="chart-label" x="{w}" y="{by}" text-anchor="end">{last}</text></svg>',
        w=chart.width,
        h=chart.height,
        key=chart.key,
        n=len(chart.bars),
        caption=caption,
        left=chart.left,
        base=chart.baseline,
        top=chart.top,
        lx=chart.left - 4,
        ty=chart.top + 4,
        max=chart.maximum,
        bars=bars,
        by=chart.height - 4,
        first=chart.first_label,
        last=chart.last_label,
    )


def table_rows(chart: Chart) -> SafeString:
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td></tr>",
        ((b.label.removeprefix("week of "), b.value) for b in chart.bars),
    )
