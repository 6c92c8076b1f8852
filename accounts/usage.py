"""Usage figures for the usage pages, and the small SVG bar chart drawn on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from gallery import quotas
from gallery.models import Generation

from .models import Team


@dataclass(frozen=True)
class DayUsage:
    day: date
    images: int


def daily_usage(generations: QuerySet[Generation], days: int = 30) -> list[DayUsage]:
    """Images per day for the last `days` days, days without any included."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        generations.filter(created_at__gte=quotas.day_start() - timedelta(days=days - 1))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(image_count=Sum("charged"))
    )
    by_day = {row["day"]: row["image_count"] or 0 for row in rows}
    return [
        DayUsage(first + timedelta(days=n), by_day.get(first + timedelta(days=n), 0))
        for n in range(days)
    ]


def team_month_breakdown(team: Team) -> dict[str, list[Any]]:
    month = Generation.objects.filter(team=team, created_at__gte=quotas.month_start())
    by_member = month.values("user__username").annotate(
        image_count=Sum("charged"), generation_count=Count("id")
    )
    by_model = month.values("model").annotate(
        image_count=Sum("charged"), generation_count=Count("id")
    )
    return {
        "members": list(by_member.order_by("-image_count", "user__username")),
        "models": list(by_model.order_by("-image_count", "model")),
    }


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
