"""The usage pages: one's own use and what remains, and a team's use for its admins."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Profile
from gallery.models import Generation
from tests.factories import GenerationFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.teams, pytest.mark.django_db]


BAR = re.compile(r'<rect x="[\d.]+" y="[\d.-]+" width="[\d.]+" height="([\d.]+)">'
                 r"<title>(\d{4}-\d\d-\d\d): (\d+) images</title></rect>")  # fmt: skip
TURBO, KLEIN = "meetkai:z-image-turbo", "meetkai:flux-2-klein"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def made_on(day: date, **fields: Any) -> Generation:
    generation = GenerationFactory(**fields)
    moment = datetime.combine(day, time(12), timezone.get_current_timezone())
    Generation.objects.filter(pk=generation.pk).update(created_at=moment)
    return generation


def chart_bars(html: str) -> dict[date, int]:
    """The chart's bars as day -> images, after checking there is one <svg> with 30 bars."""
    assert html.count("<svg") == 1
    svg = html[html.index("<svg") : html.index("</svg>")]
    bars = BAR.findall(svg)
    assert len(bars) == svg.count("<rect") == 30
    for height, _day, images in bars:
        assert (float(height) > 0) == (int(images) > 0)
    return {date.fromisoformat(day): int(images) for _height, day, images in bars}


@pytest.fixture
def crew() -> dict[str, Any]:
    """Crew's use this month and before, with a failure and another team's use besides."""
    today = timezone.localdate()
    earlier = max(today - timedelta(days=3), today.replace(day=1))
    crew = TeamFactory(name="Crew", slug="crew")
    alice = MembershipFactory(team=crew, user__username="alice", role=Membership.Role.ADMIN).user
    bob = MembershipFactory(team=crew, user__username="bob").user
    made_on(today, user=alice, team=crew, model=TURBO, n=2, charged=2)
    made_on(earlier, user=bob, team=crew, model=KLEIN, n=3, charged=3)
    made_on(today, user=bob, team=crew, model=TURBO, n=4, charged=0,
            status=Generation.Status.FAILED)  # fmt: skip
    made_on(today - timedelta(days=40), user=alice, team=crew, model=TURBO, n=7, charged=7)
    made_on(today, user=alice, team=None, model=KLEIN, n=1, charged=1)
    made_on(today, user=MembershipFactory().user, model=TURBO, n=5, charged=5)
    return {"team": crew, "alice": alice, "bob": bob, "today": today, "earlier": earlier}


def test_own_usage_shows_use_limit_and_what_remains(settings, crew: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 10
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 50
    Profile.objects.create(user=crew["bob"], daily_image_limit=8)
    html = logged_in(crew["bob"]).get(reverse("gallery:usage")).content.decode()
    used_today = 0 if crew["earlier"] != crew["today"] else 3
    assert (
        f'<td>Your daily limit</td><td class="number">{used_today}</td><td class="number">8</td>'
        f'<td class="number">{8 - used_today}</td>'
    ) in html
    assert (
        '<td>The monthly limit of Crew</td><td class="number">5</td><td class="number">50</td>'
        '<td class="number">45</td>'
    ) in html
    bars = chart_bars(html)
    assert max(bars) == crew["today"] and min(bars) == crew["today"] - timedelta(days=29)
    assert {day: n for day, n in bars.items() if n} == {crew["earlier"]: 3}


def test_own_usage_counts_every_team_and_none(crew: dict[str, Any]) -> None:
    html = logged_in(crew["alice"]).get(reverse("gallery:usage")).content.decode()
    assert '<td>Your daily limit</td><td class="number">3</td>' in html
    assert {day: n for day, n in chart_bars(html).items() if n} == {crew["today"]: 3}


def test_team_admin_sees_members_models_and_days(settings, crew: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_TEAM_MONTHLY_IMAGES = 60
    response = logged_in(crew["alice"]).get(reverse("gallery:team-usage", args=["crew"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This month: 5 of 60 images used, 55 remain." in html

    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"number\">(\d+)</td>"
                      r"<td class=\"number\">(\d+)</td></tr>", html)  # fmt: skip
    # Members, then models, each with images and generations this month, most images first.
    assert rows == [
        ("bob", "3", "2"),
        ("alice", "2", "1"),
        (KLEIN, "3", "1"),
        (TURBO, "2", "2"),
    ]
    expected = {crew["today"]: 2}
    expected[crew["earlier"]] = expected.get(crew["earlier"], 0) + 3
    assert {day: n for day, n in chart_bars(html).items() if n} == expected


def test_team_usage_days_follow_the_portals_time_zone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Pacific/Auckland"
    membership = MembershipFactory(role=Membership.Role.ADMIN)
    today = timezone.localdate()
    late = datetime.combine(
        today - timedelta(days=1), time(23, 30), timezone.get_current_timezone()
    )
    generation = GenerationFactory(user=membership.user, team=membership.team, n=2, charged=2)
    Generation.objects.filter(pk=generation.pk).update(created_at=late)
    url = reverse("gallery:team-usage", args=[membership.team.slug])
    html = logged_in(membership.user).get(url).content.decode()
    assert {day: n for day, n in chart_bars(html).items() if n} == {today - timedelta(days=1): 2}


def test_an_empty_month_says_so(crew: dict[str, Any]) -> None:
    admin = MembershipFactory(team__name="Quiet", team__slug="quiet", role="admin").user
    html = logged_in(admin).get(reverse("gallery:team-usage", args=["quiet"])).content.decode()
    assert html.count("Nothing yet this month.") == 2
    assert not any(chart_bars(html).values())


def test_members_who_are_not_admins_get_a_404(crew: dict[str, Any]) -> None:
    url = reverse("gallery:team-usage", args=["crew"])
    assert logged_in(crew["bob"]).get(url).status_code == 404
    assert logged_in(UserFactory()).get(url).status_code == 404
