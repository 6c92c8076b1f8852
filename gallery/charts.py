"""The small SVG bar chart of the usage pages, drawn on the server: no chart library needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class DayUsage:
    day: date
    images: int


BAR = '<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {} images</title></rect>'


def _number(value: float) -> str:
    # format_html escapes its arguments into strings first, so numbers are formatted here.
    return f"{value:.1f}"


CHART = (
    '<svg class="chart" viewBox="0 0 {w} {h}" role="img" '
    'aria-label="Images per day, last {n} days; most in a day: {top}">'
    '<g class="bars">{bars}</g><text x="0" y="{label_y}">{first}</text>'
    '<text x="{w}" y="{label_y}" text-anchor="end">{last}</text></svg>'
)


def bar_chart(days: list[DayUsage], *, width: int = 600, height: int = 160) -> SafeString:
    """An accessible SVG bar chart of images per day; no chart library needed."""
    top = max([day.images for day in days] + [1])
    slot = width / len(days)
    scale = (height - 30) / top
    bars = format_html_join(
        "",
        BAR,
        (
            (_number(index * slot + 1), _number(height - 20 - day.images * scale),
             _number(max(slot - 2, 1)), _number(day.images * scale), day.day.isoformat(),
             day.images)
            for index, day in enumerate(days)
        ),
    )  # fmt: skip
    return format_html(
        CHART,
        w=width,
        h=height,
        n=len(days),
        top=top,
        bars=bars,
        label_y=height - 4,
        first=days[0].day.strftime("%b %d"),
        last=days[-1].day.strftime("%b %d"),
    )
