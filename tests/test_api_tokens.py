"""Personal API tokens: the page that makes, lists and revokes them, and what the API makes of
a token on every request (missing, wrong, revoked, expired, a suspended owner, the rate)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from api.models import ApiToken
from audit.models import AuditEntry
from tests.api_helpers import ApiClient, error_of, token_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.restapi, pytest.mark.django_db]

TOKENS = reverse("api:tokens")


@pytest.fixture
def user(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="scripter")
    client.force_login(user)
    return user


def shown_token(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'id="new-token" value="(mka1_[^"]+)"', response.text)
    assert match, "the new token is not on the page"
    return match[1]


def test_the_page_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_menu_links_to_the_tokens_page(client, user) -> None:  # type: ignore[no-untyped-def]
    assert f'href="{TOKENS}"' in client.get(reverse("gallery:index")).text


def test_a_new_token_is_shown_once_and_only_its_digest_is_kept(client, user) -> None:  # type: ignore[no-untyped-def]
    response = client.post(TOKENS, {"name": "nightly export", "expires_in": "30"})
    assert response.status_code == 200
    token = shown_token(response)
    row = ApiToken.objects.get(user=user)
    assert row.name == "nightly export"
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(f"mka1_{row.prefix}") and len(token) > 50
    assert row.expires_at is not None
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    # Nowhere in the row, and never on the page again: only its prefix is.
    assert token not in str(ApiToken.objects.filter(pk=row.pk).values().get())
    listing = client.get(TOKENS).text
    assert token not in listing
    assert row.shown_prefix in listing and "nightly export" in listing
    entry = AuditEntry.objects.get(action="api_token.create")
    assert (entry.actor_id, entry.target_id) == (user.pk, row.pk)
    assert token not in str(entry.details) + entry.target_name
    assert ApiClient(token).get("/me").status_code == 200


def test_a_token_without_a_name_is_refused_with_the_form_shown_again(client, user) -> None:  # type: ignore[no-untyped-def]
    response = client.post(TOKENS, {"name": "", "expires_in": "7"})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert not ApiToken.objects.exists()


def test_several_tokens_are_listed_with_their_use_and_status(client, user) -> None:  # type: ignore[no-untyped-def]
    used = token_for(user, name="used one")
    token_for(user, name="never used")
    token_for(user, name="old one", expires_at=timezone.now() - timedelta(days=1))
    ApiClient(used).get("/me")
    page = client.get(TOKENS).text
    rows = {
        name: row
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        for name in ("used one", "never used", "old one")
        if f"<td>{name}</td>" in row
    }
    assert len(rows) == 3
    assert "never</td>" not in rows["used one"].split("<td>")[4]
    assert "<td>never</td>" in rows["never used"]
    assert "Expired" in rows["old one"] and "Active" in rows["used one"]


def test_revoking_stops_the_token_at_its_next_request(client, user) -> None:  # type: ignore[no-untyped-def]
    token = token_for(user)
    api = ApiClient(token)
    assert api.get("/me").status_code == 200
    row = ApiToken.objects.get(user=user)
    response = client.post(reverse("api:token-revoke", args=[row.pk]))
    assert response.status_code == 302
    answer = api.get("/me")
    assert answer.status_code == 401
    assert error_of(answer)["code"] == "token_revoked"
    assert "Revoked" in client.get(TOKENS).text
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert (entry.actor_id, entry.target_id) == (user.pk, row.pk)


def test_someone_elses_token_cannot_be_revoked(client, user) -> None:  # type: ignore[no-untyped-def]
    other = UserFactory(username="other")
    token = token_for(other)
    row = ApiToken.objects.get(user=other)
    assert client.post(reverse("api:token-revoke", args=[row.pk])).status_code == 404
    assert ApiClient(token).get("/me").status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "invalid_token"),
        ("Bearer mka1_notatoken", "invalid_token"),
        ("Bearer mka1_" + "x" * 51, "invalid_token"),
        ("Basic c2NyaXB0ZXI6cGFzcw==", "invalid_token"),
    ],
)
def test_a_missing_or_wrong_token_is_a_401(header, code) -> None:  # type: ignore[no-untyped-def]
    api = ApiClient(None)
    response = api.client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert error_of(response)["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_without_a_token_is_a_401(client, user) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"
    # Nor does a cookie get a write past the missing CSRF token.
    assert (
        client.post("/api/v1/generations", {}, content_type="application/json").status_code == 401
    )


def test_an_expired_token_is_a_401_that_says_so() -> None:
    user = UserFactory()
    token = token_for(user, expires_at=timezone.now() + timedelta(hours=1))
    api = ApiClient(token)
    assert api.get("/me").status_code == 200
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


def test_a_suspended_account_gets_403_from_its_next_request_until_lifted() -> None:
    user = UserFactory()
    api = ApiClient(token_for(user))
    assert api.get("/me").status_code == 200
    Profile.objects.create(user=user, suspended_at=timezone.now(), suspended_reason="spam")
    response = api.get("/me")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "account_suspended" and "spam" in error["message"]
    Profile.objects.filter(user=user).update(suspended_at=None)
    assert api.get("/me").status_code == 200


def test_a_suspended_account_s_session_sent_along_gets_the_api_s_own_answers() -> None:
    user = UserFactory()
    Profile.objects.create(user=user, suspended_at=timezone.now(), suspended_reason="spam")
    client = Client()
    client.force_login(user)
    with_token = ApiClient(token_for(user), client)
    response = with_token.get("/me")
    assert response.status_code == 403
    assert error_of(response)["code"] == "account_suspended"
    response = ApiClient(None, client).get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_an_inactive_user_s_token_is_a_401() -> None:
    user = UserFactory()
    api = ApiClient(token_for(user))
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert error_of(api.get("/me"))["code"] == "invalid_token"


def test_last_use_is_written_at_most_once_a_minute() -> None:
    user = UserFactory()
    api = ApiClient(token_for(user))
    row = ApiToken.objects.get(user=user)
    assert row.last_used_at is None
    api.get("/me")
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        api.get("/me")
    assert not [q for q in queries if q["sql"].startswith('UPDATE "api_apitoken"')]
    lookups = [q for q in queries if 'FROM "api_apitoken"' in q["sql"]]
    assert len(lookups) == 1 and 'INNER JOIN "auth_user"' in lookups[0]["sql"]
    row.refresh_from_db()
    assert row.last_used_at == first
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - timedelta(seconds=61))
    api.get("/me")
    row.refresh_from_db()
    assert row.last_used_at is not None and row.last_used_at > first


def test_the_rate_limit_per_token_is_counted_in_redis_and_answers_429(settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_RATE_LIMIT = "3/hour"
    user = UserFactory()
    api, other = ApiClient(token_for(user)), ApiClient(token_for(user, name="second"))
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/me")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600
    # Another token of the same user has its own count.
    assert other.get("/me").status_code == 200
    # The count lives in Redis, where every process of the portal reads it.
    shared = caches["default"]
    assert isinstance(shared, RedisCache)
    keys = list(shared._cache.get_client().scan_iter(match=f"{shared.key_prefix}:*api:rate:*"))
    assert len(keys) == 2
