"""Usage figures for the usage pages: images per day, and a team's month by member and model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Team

from ..charts import DayUsage
from ..models import Generation
from . import quotas


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


def user_daily_usage(user_id: int, days: int = 30) -> list[DayUsage]:
    return daily_usage(Generation.objects.of(user_id), days)


def team_daily_usage(team: Team, days: int = 30) -> list[DayUsage]:
    return daily_usage(Generation.objects.filter(team_id=team.pk), days)
