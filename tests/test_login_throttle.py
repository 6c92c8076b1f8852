"""Login throttling through the real login views, the portal's and Django admin's.

Failures are counted per username and address (LOGIN_FAILURE_LIMIT, 5) and per address across
usernames (LOGIN_FAILURE_LIMIT_PER_IP, 20); a lockout lasts LOGIN_COOLOFF_MINUTES (15) after
the latest failure. Time passes by moving the recorded failures back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.security, pytest.mark.django_db]

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
WRONG = "Please enter a correct username and password"
LOCKED = "Too many failed sign-in attempts. Try again in 15 minutes."
WRONG_PASSWORD = "not the password"


def attempt(
    client: Client, username: str, password: str = WRONG_PASSWORD, url: str = LOGIN, **extra: Any
) -> Any:
    return client.post(url, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, url: str = LOGIN, **extra: Any) -> Any:
    response = None
    for _ in range(times):
        response = attempt(client, username, url=url, **extra)
    return response


def logged_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def time_passes(delta: timedelta) -> None:
    for row in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - delta)


@pytest.fixture
def alice() -> User:
    return UserFactory(username="alice")


@pytest.fixture
def bob() -> User:
    return UserFactory(username="bob")


def test_five_failures_lock_the_username_out_even_with_the_right_password(alice: User) -> None:
    client = Client()
    for _ in range(4):
        response = attempt(client, "alice")
        assert response.status_code == 200
        assert WRONG in response.content.decode()

    response = attempt(client, "alice")
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page and WRONG not in page
    assert 'value="alice"' in page
    assert int(response["Retry-After"]) == 15 * 60

    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert logged_in_as(client) is None
    # Refused before the password is checked: the lockout is not pushed back.
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_the_message_counts_down_and_the_cool_off_ends_the_lockout(alice: User) -> None:
    client = Client()
    fail(client, "alice", 5)
    time_passes(timedelta(minutes=10, seconds=30))
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "Try again in 5 minutes." in response.content.decode()

    time_passes(timedelta(minutes=4, seconds=31))
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert logged_in_as(client) == "alice"


def test_a_success_clears_the_usernames_count(alice: User) -> None:
    client = Client()
    fail(client, "alice", 4)
    assert attempt(client, "alice", PASSWORD).status_code == 302
    client.logout()
    response = fail(client, "alice", 4)
    assert response.status_code == 200 and WRONG in response.content.decode()


def test_other_usernames_from_the_address_work_until_its_own_limit(alice: User, bob: User) -> None:
    client = Client()
    fail(client, "alice", 5)
    assert attempt(client, "bob", PASSWORD).status_code == 302
    client.logout()

    # Fifteen more guesses across usernames, none of them five times: twenty from the address.
    for number in range(3):
        response = fail(client, f"guess{number}", 4)
        assert response.status_code == 200
    response = fail(client, "guess3", 3)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()

    response = attempt(client, "bob", PASSWORD)
    assert response.status_code == 429
    assert logged_in_as(client) is None
    # Someone else, elsewhere, is not held up by that address.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(elsewhere, "bob", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too() -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    response = fail(client, "root", 4, url=ADMIN_LOGIN)
    assert response.status_code == 200
    response = attempt(client, "root", url=ADMIN_LOGIN)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page and 'value="root"' in page
    assert attempt(client, "root", PASSWORD, url=ADMIN_LOGIN).status_code == 429
    assert logged_in_as(client) is None

    time_passes(timedelta(minutes=15, seconds=1))
    assert attempt(client, "root", PASSWORD, url=ADMIN_LOGIN).status_code == 302
    assert logged_in_as(client) == "root"


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(alice: User) -> None:
    client = Client()
    for number in range(5):
        attempt(client, "alice", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    response = attempt(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(alice: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 1
    # Everything the proxy saw arrives from its own address; it appends the client's.
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for number in range(5):
        # What the client put in the header itself is not believed.
        attempt(proxy, "alice", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    locked = attempt(proxy, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert locked.status_code == 429
    other = attempt(proxy, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302


def test_the_test_clients_login_still_works(alice: User) -> None:
    assert Client().login(username="alice", password=PASSWORD)
    assert not Client().login(username="alice", password=WRONG_PASSWORD)
