"""Image quotas: per user per day and per team per month, in images actually stored.

Over a limit the form says what the limit is and when it resets, and nothing is enqueued.
Failed, refused and canceled generations give their images back; a short answer gives back
the images that did not come. Days and months start at midnight in the portal's time zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Profile, Team
from gallery.models import Generation
from tests.conftest import wait_for
from tests.factories import GenerationFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.teams, pytest.mark.django_db]


def form(**changes: object) -> dict[str, object]:
    data = {
        "prompt": "a paper boat on a puddle",
        "model": "meetkai:z-image-turbo",
        "n": 1,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "b64_json",
    }
    data.update(changes)
    return data


def submit(client: Client, **changes: object) -> Any:
    return client.post(reverse("gallery:generate"), form(**changes))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refused_with(response: Any, text: str) -> bool:
    html = response.content.decode()
    return response.status_code == 400 and 'role="alert"' in html and text in html


def next_midnight(zone: str) -> datetime:
    tz = ZoneInfo(zone)
    return datetime.combine(datetime.now(tz).date() + timedelta(days=1), time(), tz)


def first_of_next_month(zone: str) -> datetime:
    tz = ZoneInfo(zone)
    today = datetime.now(tz).date()
    following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(following, time(), tz)


def shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


# -- the daily limit of a user ------------------------------------------------------------------


def test_daily_default_limit_refuses_with_the_limit_and_the_reset_time(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 3
    user = UserFactory()
    client = logged_in(user)
    assert submit(client, n=2).status_code == 302

    response = submit(client, n=2, prompt="one too many")
    assert refused_with(
        response,
        "This would go over your daily limit: 2 of 3 images are used, 1 remain and you asked "
        f"for 2. The limit resets at {shown(next_midnight('UTC'))}.",
    )
    # The form is shown again as it was sent, and nothing was recorded or enqueued.
    assert "one too many" in response.content.decode()
    assert Generation.objects.filter(user=user).count() == 1

    assert submit(client, n=1).status_code == 302
    assert refused_with(submit(client, n=1), "3 of 3 images are used, 0 remain")
    assert Generation.objects.filter(user=user).count() == 2


def test_a_profile_lowers_or_raises_the_daily_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 3
    strict, generous = UserFactory(), UserFactory()
    Profile.objects.create(user=strict, daily_image_limit=1)
    Profile.objects.create(user=generous, daily_image_limit=5)

    strict_client = logged_in(strict)
    assert refused_with(submit(strict_client, n=2), "0 of 1 images are used")
    assert submit(strict_client, n=1).status_code == 302

    generous_client = logged_in(generous)
    assert submit(generous_client, n=5).status_code == 302
    assert refused_with(submit(generous_client, n=1), "5 of 5 images are used")
    assert Generation.objects.filter(user=generous).count() == 1


def test_the_daily_limit_counts_a_users_images_in_every_team(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 2
    membership = MembershipFactory()
    MembershipFactory(user=membership.user)
    client = logged_in(membership.user)
    assert submit(client, n=1).status_code == 302
    other = Membership.objects.exclude(pk=membership.pk).get(user=membership.user)
    client.post(reverse("accounts:team-switch"), {"team": other.team.slug})
    assert submit(client, n=1).status_code == 302
    assert refused_with(submit(client, n=1), "your daily limit: 2 of 2")


def test_a_rerun_over_the_limit_says_so_and_records_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 2
    user = UserFactory()
    client = logged_in(user)
    submit(client, n=2)
    generation = Generation.objects.get(user=user)
    response = client.post(reverse("gallery:generation-rerun", args=[generation.pk]), follow=True)
    assert (
        "This would go over your daily limit: 2 of 2 images are used" in response.content.decode()
    )
    assert Generation.objects.filter(user=user).count() == 1


def test_canceling_a_queued_generation_gives_its_images_back(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 2
    user = UserFactory()
    client = logged_in(user)
    submit(client, n=2)
    generation = Generation.objects.get(user=user)
    assert generation.charged == 2
    assert refused_with(submit(client, n=1), "2 of 2 images are used")

    client.post(reverse("gallery:generation-cancel", args=[generation.pk]))
    generation.refresh_from_db()
    assert generation.status == Generation.Status.CANCELED and generation.charged == 0
    assert submit(client, n=2).status_code == 302


# -- the monthly limit of a team ----------------------------------------------------------------


def test_team_monthly_default_limit_is_shared_by_its_members(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 4
    crew = TeamFactory(name="Crew")
    alice = MembershipFactory(team=crew).user
    bob = MembershipFactory(team=crew).user
    assert submit(logged_in(alice), n=3).status_code == 302

    bob_client = logged_in(bob)
    response = submit(bob_client, n=2)
    assert refused_with(
        response,
        "This would go over the monthly limit of Crew: 3 of 4 images are used, 1 remain and you "
        f"asked for 2. The limit resets at {shown(first_of_next_month('UTC'))}.",
    )
    assert submit(bob_client, n=1).status_code == 302
    assert Generation.objects.filter(team=crew).count() == 2
    assert not Generation.objects.filter(team__isnull=True).exists()


def test_a_teams_own_limit_overrides_the_default(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 2
    roomy = TeamFactory(name="Roomy", monthly_image_limit=6)
    tight = TeamFactory(name="Tight", monthly_image_limit=1)
    assert submit(logged_in(MembershipFactory(team=roomy).user), n=5).status_code == 302
    response = submit(logged_in(MembershipFactory(team=tight).user), n=2)
    assert refused_with(response, "the monthly limit of Tight: 0 of 1 images are used")


def test_the_team_chosen_in_the_header_is_charged(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 2
    first = MembershipFactory(team__name="Alpha")
    second = MembershipFactory(user=first.user, team__name="Beta")
    client = logged_in(first.user)
    assert submit(client, n=2).status_code == 302
    assert refused_with(submit(client, n=1), "the monthly limit of Alpha: 2 of 2")
    client.post(reverse("accounts:team-switch"), {"team": second.team.slug})
    assert submit(client, n=2).status_code == 302
    assert list(Generation.objects.order_by("pk").values_list("team__name", flat=True)) == [
        "Alpha",
        "Beta",
    ]


# -- midnight in the portal's time zone ---------------------------------------------------------


def made_at(moment: datetime, **fields: object) -> Generation:
    generation = GenerationFactory(**fields)
    Generation.objects.filter(pk=generation.pk).update(created_at=moment)
    return generation


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_the_day_starts_at_midnight_in_the_portals_time_zone(settings, zone: str) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = zone
    settings.QUOTA_USER_DAILY_IMAGES = 3
    user = UserFactory()
    midnight = next_midnight(zone) - timedelta(days=1)
    made_at(midnight - timedelta(seconds=1), user=user, n=3, charged=3)
    made_at(midnight, user=user, n=2, charged=2)

    client = logged_in(user)
    assert submit(client, n=1).status_code == 302
    response = submit(client, n=1)
    resets = shown(next_midnight(zone))
    assert resets.endswith(("NZDT", "NZST", "PST", "PDT"))
    assert refused_with(response, f"3 of 3 images are used, 0 remain and you asked for 1. "
                                  f"The limit resets at {resets}.")  # fmt: skip
    usage = client.get(reverse("gallery:usage")).content.decode()
    assert f"<td>{resets}</td>" in usage
    assert f"Days start at midnight in {zone}." in usage


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_the_month_starts_on_the_first_at_midnight_in_the_portals_time_zone(
    settings,  # type: ignore[no-untyped-def]
    zone: str,
) -> None:
    settings.TIME_ZONE = zone
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 5
    settings.QUOTA_USER_DAILY_IMAGES = 100
    crew = TeamFactory(name="Crew")
    user = MembershipFactory(team=crew).user
    tz = ZoneInfo(zone)
    month_start = datetime.combine(datetime.now(tz).date().replace(day=1), time(), tz)
    made_at(month_start - timedelta(seconds=1), user=user, team=crew, n=5, charged=5)
    made_at(month_start, user=user, team=crew, n=4, charged=4)

    client = logged_in(user)
    assert submit(client, n=1).status_code == 302
    resets = shown(first_of_next_month(zone))
    assert refused_with(
        submit(client, n=1),
        f"the monthly limit of Crew: 5 of 5 images are used, 0 remain and you asked for 1. "
        f"The limit resets at {resets}.",
    )
    usage = client.get(reverse("gallery:usage")).content.decode()
    assert f"<td>{resets}</td>" in usage


# -- give-backs, through the real worker and stand-in -------------------------------------------


def settled(generation_id: int) -> Generation | None:
    generation = Generation.objects.get(pk=generation_id)
    return None if generation.is_pending else generation


@pytest.mark.django_db(transaction=True)
def test_failed_refused_and_short_generations_give_images_back(
    settings,  # type: ignore[no-untyped-def]
    celery_worker,  # type: ignore[no-untyped-def]
) -> None:
    settings.QUOTA_USER_DAILY_IMAGES = 5
    crew = Team.objects.create(name="Crew", slug="crew")
    user = UserFactory()
    Membership.objects.create(team=crew, user=user)
    client = logged_in(user)

    assert submit(client, n=3, prompt="three kites @fault:short_data").status_code == 302
    assert submit(client, n=2, prompt="two kites @fault:500").status_code == 302
    short = Generation.objects.get(user=user, prompt__contains="short_data")
    failing = Generation.objects.get(user=user, prompt__contains="500")

    short = wait_for(lambda: settled(short.pk), timeout=60)
    assert short.status == Generation.Status.SUCCEEDED
    assert short.images.count() == 2 and short.charged == 2
    assert short.missing_images.count() == 1
    failing = wait_for(lambda: settled(failing.pk), timeout=60)
    assert failing.status == Generation.Status.FAILED and failing.charged == 0
    assert not failing.images.exists()

    assert submit(client, n=3, prompt="a forbidden kite").status_code == 302
    refused = Generation.objects.get(user=user, prompt="a forbidden kite")
    refused = wait_for(lambda: settled(refused.pk), timeout=60)
    assert refused.status == Generation.Status.REFUSED and refused.charged == 0

    usage = client.get(reverse("gallery:usage")).content.decode()
    assert '<td class="number">2</td><td class="number">5</td><td class="number">3</td>' in usage
    assert submit(client, n=3).status_code == 302
    assert refused_with(submit(client, n=1), "5 of 5 images are used")
