"""The API's generations: submit with the form's rules, strict types, the quotas and an
idempotency key; follow one; list them by status; cancel and run again. Others' are 404."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Profile
from api.endpoints.generations import IDEMPOTENCY_NAMESPACE
from api.limits import single_flight
from gallery.models import Generation, MissingImage
from tests.api_helpers import ApiClient, error_of, token_for
from tests.factories import (
    GeneratedImageFactory,
    GenerationFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.restapi, pytest.mark.django_db]

BODY = {"prompt": "a lighthouse at dusk", "n": 2, "size": "256x256", "team": "crew"}


@pytest.fixture
def member() -> Any:
    return MembershipFactory(team=TeamFactory(name="Crew", slug="crew"), user__username="alice")


@pytest.fixture
def api(member) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(token_for(member.user))


def test_a_submission_is_queued_for_the_named_team(api, member) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/generations", {**BODY, "style": "natural"})
    assert response.status_code == 201
    body = response.json()
    generation = Generation.objects.get(pk=body["id"])
    assert (generation.user, generation.team) == (member.user, member.team)
    assert (generation.prompt, generation.n, generation.size) == (
        "a lighthouse at dusk",
        2,
        "256x256",
    )
    assert (generation.style, generation.quality, generation.model) == (
        "natural", "standard", "meetkai:z-image-turbo",
    )  # fmt: skip
    assert generation.status == body["status"] == "queued"
    assert body["team_id"] == member.team.pk
    assert body["url"].endswith(f"/api/v1/generations/{generation.pk}")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prompt": 12345}, "prompt"),
        ({"n": "2"}, "n"),
        ({"n": 2.0}, "n"),
        ({"n": True}, "n"),
        ({"n": 11}, "n"),
        ({"size": "100x100"}, "size"),
        ({"model": "someone-elses-model"}, "model"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 1001}, "prompt"),
        ({"colour": "red"}, "colour"),
        ({"team": 7}, "team"),
    ],
)
def test_a_submission_with_a_wrong_type_or_value_is_a_422_naming_the_field(  # type: ignore[no-untyped-def]
    api, change, field
) -> None:
    response = api.post("/generations", {**BODY, **change})
    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert not Generation.objects.exists()


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(api) -> None:  # type: ignore[no-untyped-def]
    response = api.client.post(
        "/api/v1/generations", "{not json", content_type="application/json", headers=api.headers()
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_the_team_is_named_and_must_be_ones_own(api, member) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(name="Rivals", slug="rivals")
    for team, code in (
        (None, "team_required"),
        ("rivals", "unknown_team"),
        ("nope", "unknown_team"),
    ):
        response = api.post("/generations", {**BODY, "team": team})
        assert response.status_code == 422
        error = error_of(response)
        assert (error["code"], error["field"]) == (code, "team")
    assert error_of(api.post("/generations", {"prompt": "no team key"}))["field"] == "team"
    assert not Generation.objects.exists()
    loner = ApiClient(token_for(UserFactory(username="loner")))
    response = loner.post("/generations", {**BODY, "team": None})
    assert response.status_code == 201 and response.json()["team_id"] is None


def test_too_many_pending_generations_is_a_429(api, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GENERATION_MAX_PENDING = 1
    assert api.post("/generations", BODY).status_code == 201
    response = api.post("/generations", BODY)
    assert response.status_code == 429 and response["Retry-After"]
    error = error_of(response)
    assert error["code"] == "too_many_pending" and "queued or running" in error["message"]
    assert Generation.objects.count() == 1


def test_over_a_quota_is_a_429_with_retry_after(api, member) -> None:  # type: ignore[no-untyped-def]
    Profile.objects.create(user=member.user, daily_image_limit=3)
    assert api.post("/generations", BODY).status_code == 201
    response = api.post("/generations", BODY)
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "quota_exceeded" and "daily limit" in error["message"]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    member.team.monthly_image_limit = 1
    member.team.save()
    response = api.post("/generations", {**BODY, "n": 1})
    assert response.status_code == 429 and "monthly limit of Crew" in error_of(response)["message"]
    assert Generation.objects.count() == 1


def test_a_held_submitter_gets_a_403(api, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MODERATION_REFUSALS_THRESHOLD = 1
    GenerationFactory(user=member.user, status="refused", error_kind="content_policy")
    response = api.post("/generations", BODY)
    assert response.status_code == 403
    assert error_of(response)["code"] == "submission_held"


def test_the_same_idempotency_key_and_body_answer_the_first_generation(api, member) -> None:  # type: ignore[no-untyped-def]
    first = api.post("/generations", BODY, **{"Idempotency-Key": "nightly-2024-05-01"})
    again = api.post("/generations", BODY, **{"Idempotency-Key": "nightly-2024-05-01"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    generation = Generation.objects.get()
    expected = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{member.user.pk}:nightly-2024-05-01")
    assert generation.idempotency_key == expected
    # Another user's same key is theirs alone.
    other = MembershipFactory(team=member.team, user__username="bob")
    response = ApiClient(token_for(other.user)).post(
        "/generations", BODY, **{"Idempotency-Key": "nightly-2024-05-01"}
    )
    assert response.status_code == 201 and response.json()["id"] != first.json()["id"]


def test_the_same_idempotency_key_with_another_body_is_a_422(api) -> None:  # type: ignore[no-untyped-def]
    assert api.post("/generations", BODY, **{"Idempotency-Key": "k1"}).status_code == 201
    response = api.post("/generations", {**BODY, "n": 3}, **{"Idempotency-Key": "k1"})
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert Generation.objects.count() == 1


def test_the_same_idempotency_key_while_the_first_is_in_flight_is_a_409(api, member) -> None:  # type: ignore[no-untyped-def]
    key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{member.user.pk}:in-flight")
    with single_flight(f"submit:{member.user.pk}:{key}"):
        response = api.post("/generations", BODY, **{"Idempotency-Key": "in-flight"})
        assert response.status_code == 409
        assert error_of(response)["code"] == "request_in_progress"
        assert not Generation.objects.exists()
    assert api.post("/generations", BODY, **{"Idempotency-Key": "in-flight"}).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "naïve"])
def test_an_idempotency_key_must_be_1_to_255_printable_ascii_characters(api, key) -> None:  # type: ignore[no-untyped-def]
    response = api.client.post(
        "/api/v1/generations",
        BODY,
        content_type="application/json",
        headers={**api.headers(), "Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "Idempotency-Key"


def test_a_generation_shows_its_status_images_and_what_went_missing(api, member) -> None:  # type: ignore[no-untyped-def]
    generation = GenerationFactory(user=member.user, n=2, prompt="two owls")
    image = GeneratedImageFactory(generation=generation)
    MissingImage.objects.create(
        generation=generation, index=1, error_kind="bad_image", reason="bad"
    )
    body = api.get(f"/generations/{generation.pk}").json()
    assert (body["id"], body["status"], body["prompt"]) == (generation.pk, "succeeded", "two owls")
    assert [item["id"] for item in body["images"]] == [image.pk]
    assert body["images"][0]["download_url"].endswith(f"/api/v1/images/{image.pk}/download")
    assert body["missing"] == [{"index": 1, "kind": "bad_image", "reason": "bad"}]
    failed = GenerationFactory(
        user=member.user, status="failed", error_kind="timeout", error_message="too slow"
    )
    assert api.get(f"/generations/{failed.pk}").json()["error"] == {
        "kind": "timeout", "message": "too slow",
    }  # fmt: skip


def test_someone_elses_generation_is_a_404_everywhere(api) -> None:  # type: ignore[no-untyped-def]
    theirs = GenerationFactory(status="queued")
    for response in (
        api.get(f"/generations/{theirs.pk}"),
        api.post(f"/generations/{theirs.pk}/cancel"),
        api.post(f"/generations/{theirs.pk}/rerun", {"team": "crew"}),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == "queued"
    assert Generation.objects.count() == 1


def test_generations_are_listed_by_status_in_cursor_pages(api, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GALLERY_PAGE_SIZE = 2
    failed = [GenerationFactory(user=member.user, status="failed") for _ in range(3)]
    done = GenerationFactory(user=member.user)
    GenerationFactory(status="failed")  # someone else's
    first = api.get("/generations", {"status": "failed"}).json()
    assert [item["id"] for item in first["items"]] == [failed[2].pk, failed[1].pk]
    second = api.get("/generations", {"status": "failed", "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == [failed[0].pk]
    assert second["next_cursor"] is None
    everything = api.get("/generations", {"sort": "oldest"}).json()
    assert [item["id"] for item in everything["items"]] == [failed[0].pk, failed[1].pk]
    assert api.get("/generations", {"status": "succeeded"}).json()["items"][0]["id"] == done.pk
    response = api.get("/generations", {"cursor": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 422 and error_of(response)["field"] == "cursor"
    response = api.get("/generations", {"status": "lost"})
    assert response.status_code == 422 and error_of(response)["field"] == "status"


def test_a_queued_generation_is_canceled_and_a_finished_one_is_a_409(api, member) -> None:  # type: ignore[no-untyped-def]
    queued = GenerationFactory(user=member.user, status="queued", charged=1)
    response = api.post(f"/generations/{queued.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    queued.refresh_from_db()
    assert (queued.status, queued.charged) == ("canceled", 0)
    again = api.post(f"/generations/{queued.pk}/cancel")
    assert again.status_code == 409 and error_of(again)["code"] == "not_cancelable"


def test_a_rerun_is_a_new_generation_with_the_same_settings_and_team(api, member) -> None:  # type: ignore[no-untyped-def]
    source = GenerationFactory(
        user=member.user, team=member.team, prompt="the same owl", size="512x512", n=2
    )
    response = api.post(f"/generations/{source.pk}/rerun")
    assert response.status_code == 201
    rerun = Generation.objects.get(pk=response.json()["id"])
    assert rerun.pk != source.pk
    assert (rerun.prompt, rerun.size, rerun.n, rerun.team) == (
        "the same owl",
        "512x512",
        2,
        member.team,
    )
    assert rerun.created_at <= timezone.now()
    Profile.objects.create(user=member.user, daily_image_limit=2)
    refused = api.post(f"/generations/{source.pk}/rerun", {"team": "crew"})
    assert refused.status_code == 429 and "Retry-After" in refused
