"""Bar charts drawn on the server: the geometry of an SVG that the template writes out.

No chart library and no script: the page works without JavaScript and under the CSP, and each
chart has its numbers in a table beside it (dashboard/_chart.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
