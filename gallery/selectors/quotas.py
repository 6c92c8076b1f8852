"""Image quotas: per user per day and per team per month, counted in images actually stored.

A generation charges its n images when it is submitted; when it ends, its charge becomes the
number of images stored (nothing for failed, refused and canceled ones). Days and months
start at midnight in the portal's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Team
from accounts.selectors import user_daily_limit

from ..models import Generation


def day_start(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime | None = None) -> datetime:
    return day_start(now).replace(day=1)


def next_day(now: datetime | None = None) -> datetime:
    return timezone.make_aware(
        (day_start(now) + timedelta(days=1)).replace(tzinfo=None), timezone.get_current_timezone()
    )


def next_month(now: datetime | None = None) -> datetime:
    start = month_start(now)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1, tzinfo=None)
    return timezone.make_aware(following, timezone.get_current_timezone())


@dataclass(frozen=True)
class Allowance:
    """How much of one limit is used, and when it starts afresh."""

    label: str
    limit: int
    used: int
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def refuses(self, n: int) -> bool:
        return self.used + n > self.limit

    def message(self, n: int) -> str:
        when = timezone.localtime(self.resets_at).strftime("%Y-%m-%d %H:%M %Z")
        return (
            f"This would go over {self.label}: {self.used} of {self.limit} images are used, "
            f"{self.remaining} remain and you asked for {n}. The limit resets at {when}."
        )


def user_allowance(user_id: int) -> Allowance:
    used = (
        Generation.objects.of(user_id)
        .filter(created_at__gte=day_start())
        .aggregate(total=Sum("charged"))["total"]
    )
    return Allowance("your daily limit", user_daily_limit(user_id), used or 0, next_day())


def team_allowance(team: Team) -> Allowance:
    used = Generation.objects.filter(team_id=team.pk, created_at__gte=month_start()).aggregate(
        total=Sum("charged")
    )["total"]
    label = f"the monthly limit of {team.name}"
    return Allowance(label, team.image_limit, used or 0, next_month())


def pending_generation_count(user_id: int) -> int:
    """The user's generations queued or running, each one whatever its n (it is one task, one
    worker thread and one API call); the images they make are what the quotas count."""
    return Generation.objects.of(user_id).pending().count()


def allowances(user_id: int, team: Team | None) -> list[Allowance]:
    """Every limit a submission by this user for this team counts against."""
    found = [user_allowance(user_id)]
    if team is not None:
        found.append(team_allowance(team))
    return found
