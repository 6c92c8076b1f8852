"""The usage counters a submission is checked against: per user and day, per team and month,
and each user's pending generations. Kept by the database, they equal the sums over the
generations after every kind of write, in the portal's time zone, and concurrent submits of a
team's members stop exactly at the team's limit.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Profile, Team
from accounts.services import team_delete, user_delete
from gallery import services
from gallery.models import (
    Generation,
    TeamMonthUsage,
    UsageZone,
    UserDayUsage,
    UserUsage,
)
from gallery.values import GenerationParams
from moderation.services import user_suspend
from tests.factories import GenerationFactory, MembershipFactory, TeamFactory, UserFactory
from tests.parallel import unconsumed_queue

pytestmark = [pytest.mark.teams, pytest.mark.django_db]


def params(n: int = 1) -> GenerationParams:
    return GenerationParams(
        prompt="a paper boat on a puddle",
        model="meetkai:z-image-turbo",
        n=n,
        size="256x256",
        quality="standard",
        style="vivid",
        response_format="url",
    )


def counted() -> dict[str, dict[Any, int]]:
    """The counters, zeros left out."""
    return {
        "days": {
            (row.user_id, row.day): row.images for row in UserDayUsage.objects.all() if row.images
        },
        "months": {
            (row.team_id, row.month): row.images
            for row in TeamMonthUsage.objects.all()
            if row.images
        },
        "pending": {row.user_id: row.pending for row in UserUsage.objects.all() if row.pending},
    }


def summed() -> dict[str, dict[Any, int]]:
    """The same figures summed over the generations, in the portal's time zone."""
    zone = timezone.get_current_timezone()
    days = (
        Generation.objects.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("user_id", "day")
        .annotate(images=Sum("charged"))
    )
    months = (
        Generation.objects.filter(team__isnull=False)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("team_id", "month")
        .annotate(images=Sum("charged"))
    )
    pending = Generation.objects.pending().values("user_id").annotate(count=Count("id"))
    return {
        "days": {(row["user_id"], row["day"]): row["images"] for row in days if row["images"]},
        "months": {
            (row["team_id"], row["month"].date()): row["images"] for row in months if row["images"]
        },
        "pending": {row["user_id"]: row["count"] for row in pending},
    }


def assert_counters_match() -> None:
    assert counted() == summed()


@pytest.fixture
def crew(settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 10
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 12
    settings.GENERATION_MAX_PENDING = 4
    team = TeamFactory(name="Crew")
    alice = MembershipFactory(team=team, user__username="alice").user
    bob = MembershipFactory(team=team, user__username="bob").user
    return {"team": team, "alice": alice, "bob": bob}


def test_counters_follow_submits_cancels_endings_and_deletions(crew: dict[str, Any]) -> None:
    team, alice, bob = crew["team"], crew["alice"], crew["bob"]
    first = services.generation_submit(user=alice, params=params(3), team=team)
    second = services.generation_submit(user=alice, params=params(2), team=team)
    services.generation_submit(user=bob, params=params(4), team=team)
    services.generation_submit(user=bob, params=params(1))
    assert counted()["months"] == {(team.pk, timezone.localdate().replace(day=1)): 9}
    assert counted()["pending"] == {alice.pk: 2, bob.pk: 2}
    assert_counters_match()

    # The same key again is the same generation, counted once.
    again = services.generation_submit(
        user=alice, params=params(3), team=team, idempotency_key=first.idempotency_key
    )
    assert again.pk == first.pk
    assert_counters_match()

    # Refused over the team's month: nothing counted.
    with pytest.raises(services.QuotaExceeded, match="9 of 12 images are used"):
        services.generation_submit(user=alice, params=params(4), team=team)
    assert_counters_match()

    assert services.generation_cancel(generation=first)
    # The pipeline's endings: a short answer, a failure.
    Generation.objects.filter(pk=second.pk).update(status="succeeded", charged=1)
    bobs = Generation.objects.filter(user=bob, team=team).get()
    Generation.objects.filter(pk=bobs.pk).update(status="failed", charged=0)
    assert counted()["pending"] == {bob.pk: 1}
    assert_counters_match()

    # A generation moved to yesterday, one deleted, a team deleted, a user deleted.
    GenerationFactory(user=alice, team=team, n=2, charged=2)
    Generation.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert_counters_match()
    Generation.objects.filter(pk=first.pk).delete()
    assert_counters_match()
    user_delete(user=bob, actor=None, source="portal")
    assert_counters_match()
    team_delete(team=team, actor=None, source="portal")
    assert_counters_match()
    today = timezone.localdate()
    days = {(alice.pk, today): 2, (alice.pk, today - timedelta(days=1)): 1}
    assert counted() == {"days": days, "months": {}, "pending": {}}


def test_a_suspension_gives_queued_generations_back_to_the_counters(crew: dict[str, Any]) -> None:
    moderator = UserFactory(is_staff=True)
    for n in (1, 2, 3):
        services.generation_submit(user=crew["alice"], params=params(n), team=crew["team"])
    user_suspend(moderator=moderator, user=crew["alice"], reason="spam")
    assert counted() == {"days": {}, "months": {}, "pending": {}}
    assert_counters_match()


def test_a_pending_generation_ended_elsewhere_frees_its_place(crew: dict[str, Any]) -> None:
    alice = crew["alice"]
    made = [services.generation_submit(user=alice, params=params()) for _ in range(4)]
    with pytest.raises(services.TooManyPending, match="You have 4 generations queued"):
        services.generation_submit(user=alice, params=params())
    Generation.objects.filter(pk=made[0].pk).update(status="running")
    with pytest.raises(services.TooManyPending):
        services.generation_submit(user=alice, params=params())
    Generation.objects.filter(pk=made[0].pk).update(status="refused", charged=0)
    services.generation_submit(user=alice, params=params())
    assert UserUsage.objects.get(user=alice).pending == 4
    assert_counters_match()


def test_a_new_time_zone_counts_the_days_afresh_at_the_next_submit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 3
    user = UserFactory()
    zone = ZoneInfo("Pacific/Auckland")
    midnight = datetime.combine(datetime.now(zone).date(), time(), zone)
    before = GenerationFactory(user=user, n=3, charged=3)
    Generation.objects.filter(pk=before.pk).update(created_at=midnight - timedelta(seconds=1))
    assert list(UsageZone.objects.values_list("time_zone", flat=True)) == ["UTC"]

    settings.TIME_ZONE = "Pacific/Auckland"
    services.generation_submit(user=user, params=params(3))
    assert list(UsageZone.objects.values_list("time_zone", flat=True)) == ["Pacific/Auckland"]
    assert UserDayUsage.objects.get(user=user, day=midnight.date()).images == 3
    with pytest.raises(services.QuotaExceeded, match="3 of 3 images are used"):
        services.generation_submit(user=user, params=params(1))
    assert_counters_match()


def test_counters_not_built_are_built_by_the_first_submit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 4
    user = UserFactory()
    UsageZone.objects.all().delete()
    GenerationFactory(user=user, n=3, charged=3)
    assert not UserDayUsage.objects.filter(user=user).exists()

    with pytest.raises(services.QuotaExceeded, match="3 of 4 images are used"):
        services.generation_submit(user=user, params=params(2))
    services.generation_submit(user=user, params=params(1))
    assert UserDayUsage.objects.get(user=user).images == 4
    assert_counters_match()


def test_a_held_user_is_refused_before_the_quotas(crew: dict[str, Any]) -> None:
    alice = crew["alice"]
    Profile.objects.create(user=alice, daily_image_limit=0, suspended_at=timezone.now())
    with pytest.raises(services.SubmissionRefused, match="Your account is suspended"):
        services.generation_submit(user=alice, params=params())
    assert not Generation.objects.filter(user=alice).exists()
    assert_counters_match()


# -- concurrent submits of a team's members ---------------------------------------------------

LIMIT = 6
MEMBERS = 8
EACH = 3


@pytest.mark.django_db(transaction=True)
def test_members_submitting_at_once_stop_exactly_at_the_teams_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_TEAM_MONTHLY_IMAGES = LIMIT
    team = Team.objects.create(name="Crowd", slug="crowd")
    members: list[User] = []
    for number in range(MEMBERS):
        user = UserFactory(username=f"member{number}")
        Membership.objects.create(team=team, user=user)
        members.append(user)
    # Counters built beforehand, so the race is on them alone.
    services.usage_rebuild(time_zone=settings.TIME_ZONE)
    start = threading.Barrier(MEMBERS)

    def submit_several(user: User) -> list[int]:
        client = Client()
        client.force_login(user)
        statuses = []
        try:
            start.wait()
            for _ in range(EACH):
                form = {
                    "prompt": "a crowd of identical umbrellas",
                    "model": "meetkai:z-image-turbo",
                    "n": "1",
                    "size": "256x256",
                    "quality": "standard",
                    "style": "vivid",
                    "response_format": "url",
                    "idempotency_key": str(uuid.uuid4()),
                }
                statuses.append(client.post(reverse("gallery:generate"), form).status_code)
        finally:
            connections.close_all()
        return statuses

    with unconsumed_queue("usage") as queue:
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        with ThreadPoolExecutor(MEMBERS) as pool:
            answers = [
                status for statuses in pool.map(submit_several, members) for status in statuses
            ]

    assert Counter(answers) == {302: LIMIT, 400: MEMBERS * EACH - LIMIT}
    assert Generation.objects.filter(team=team).count() == LIMIT
    assert TeamMonthUsage.objects.get(team=team).images == LIMIT
    assert_counters_match()
