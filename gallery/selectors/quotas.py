"""Image quotas: per user per day and per team per month, counted in images actually stored.

A generation charges its n images when it is submitted; when it ends, its charge becomes the
number of images stored (nothing for failed, refused and canceled ones). Days and months
start at midnight in the portal's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Team
from accounts.selectors import user_daily_limit

from ..models import Generation
from .holds import hold_message, refusals_window_start


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


def allowances(user_id: int, team: Team | None) -> list[Allowance]:
    """Every limit a submission by this user for this team counts against."""
    found = [user_allowance(user_id)]
    if team is not None:
        found.append(team_allowance(team))
    return found


@dataclass(frozen=True)
class SubmissionCheck:
    """A submission's row just inserted, as its checks see it: the usage counters with it counted
    in (their time zone with them), and its user's profile. Read in one query."""

    time_zone: str
    n: int
    day_images: int
    month_images: int
    pending: int
    suspended: bool
    daily_limit: int | None
    refusals: int
    team: Team | None

    def hold(self) -> str | None:
        return hold_message(suspended=self.suspended, refused=self.refusals)

    def allowances(self) -> list[Allowance]:
        """The limits the submission counts against, as used before it."""
        limit = settings.QUOTA_USER_DAILY_IMAGES if self.daily_limit is None else self.daily_limit
        found = [Allowance("your daily limit", limit, self.day_images - self.n, next_day())]
        if self.team is not None:
            label = f"the monthly limit of {self.team.name}"
            used = self.month_images - self.n
            found.append(Allowance(label, self.team.image_limit, used, next_month()))
        return found

    @property
    def pending_before(self) -> int:
        return self.pending - 1


SUBMISSION_CHECK = """
SELECT zone.time_zone,
    coalesce((SELECT images FROM gallery_userdayusage
              WHERE user_id = %(user)s
              AND day = (%(created)s::timestamptz AT TIME ZONE zone.time_zone)::date), 0),
    coalesce((SELECT images FROM gallery_teammonthusage
              WHERE team_id = %(team)s AND month = date_trunc(
                  'month', %(created)s::timestamptz AT TIME ZONE zone.time_zone)::date), 0),
    coalesce((SELECT pending FROM gallery_userusage WHERE user_id = %(user)s), 0),
    profile.suspended_at IS NOT NULL,
    profile.daily_image_limit,
    (SELECT count(*) FROM gallery_generation
     WHERE user_id = %(user)s AND status = 'refused' AND error_kind = 'content_policy'
     AND created_at >= greatest(%(window)s::timestamptz, profile.refusals_reviewed_at))
FROM gallery_usagezone AS zone
LEFT JOIN accounts_profile AS profile ON profile.user_id = %(user)s
LIMIT 1
"""


def submission_check(generation: Generation, team: Team | None) -> SubmissionCheck | None:
    """The checks' view of a generation just inserted in this transaction; None when the
    counters are not built (no time zone)."""
    params = {
        "user": generation.user_id,
        "team": generation.team_id,
        "created": generation.created_at,
        "window": refusals_window_start(),
    }
    with connection.cursor() as cursor:
        cursor.execute(SUBMISSION_CHECK, params)
        row = cursor.fetchone()
    if row is None:
        return None
    zone, day_images, month_images, pending, suspended, daily_limit, refusals = row
    return SubmissionCheck(
        time_zone=zone,
        n=generation.charged,
        day_images=day_images,
        month_images=month_images,
        pending=pending,
        suspended=bool(suspended),
        daily_limit=daily_limit,
        refusals=refusals,
        team=team,
    )
