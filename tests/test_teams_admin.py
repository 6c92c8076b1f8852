"""The site admin's pages for teams, memberships and personal limits."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.teams, pytest.mark.django_db]


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x" * 20))
    return client


def test_team_pages_list_and_edit_members(admin_client: Client) -> None:
    membership = MembershipFactory(team__name="Crew", team__slug="crew")
    assert "Crew" in admin_client.get(reverse("admin:accounts_team_changelist")).content.decode()
    page = admin_client.get(reverse("admin:accounts_team_change", args=[membership.team.pk]))
    assert page.status_code == 200
    assert membership.user.username in page.content.decode()
    assert admin_client.get(reverse("admin:accounts_team_add")).status_code == 200


def test_a_users_daily_limit_is_set_on_their_admin_page(admin_client: Client) -> None:
    user = UserFactory(username="kim")
    url = reverse("admin:auth_user_change", args=[user.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'id="profile-group"' in page.content.decode()
    data = {
        "username": "kim",
        "email": "kim@example.com",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-daily_image_limit": "7",
        "profile-0-user": str(user.pk),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Profile.objects.get(user=user).image_limit == 7
