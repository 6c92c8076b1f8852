"""The API's images: the owner's list and a team's library with the gallery's filters and
cursor, one image, its file, and trash, restore, star, share and unshare. An image is seen by
its owner and by teammates once shared; for anyone else it does not exist (404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from gallery.models import Favorite, GeneratedImage
from tests.api_helpers import ApiClient, error_of, token_for
from tests.factories import FavoriteFactory, GeneratedImageFactory, GenerationFactory
from tests.team_world import TeamWorld, build_world

pytestmark = [pytest.mark.restapi, pytest.mark.django_db]


@pytest.fixture
def world() -> TeamWorld:
    return build_world()


@pytest.fixture
def apis(world) -> dict[str, ApiClient]:  # type: ignore[no-untyped-def]
    return {who: ApiClient(token_for(world.user(who))) for who in ("owner", "teammate", "outsider")}


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_owner_lists_their_own_images_newest_first(world, apis) -> None:  # type: ignore[no-untyped-def]
    assert ids(apis["owner"].get("/images")) == [world.private.pk, world.shared.pk]
    assert ids(apis["teammate"].get("/images")) == []
    item = apis["owner"].get("/images").json()["items"][1]
    assert (item["owner"], item["prompt"], item["shared_team_id"]) == (
        "alice", "a lighthouse in the fog", world.crew.pk,
    )  # fmt: skip
    assert item["download_url"].endswith(f"/api/v1/images/{world.shared.pk}/download")


def test_images_are_searched_and_filtered_with_the_gallerys_filters(world, apis) -> None:  # type: ignore[no-untyped-def]
    big = GeneratedImageFactory(
        generation=GenerationFactory(
            user=world.owner, prompt="a big red lighthouse", size="512x512"
        )
    )
    FavoriteFactory(image=world.private, user=world.owner)
    owner = apis["owner"]
    assert ids(owner.get("/images", {"q": "lighthouse"})) == [big.pk, world.shared.pk]
    assert ids(owner.get("/images", {"size": "512x512"})) == [big.pk]
    assert ids(owner.get("/images", {"favorites": "true"})) == [world.private.pk]
    assert ids(owner.get("/images", {"sort": "oldest"}))[0] == world.shared.pk
    today = timezone.localdate().isoformat()
    assert len(ids(owner.get("/images", {"date_from": today, "date_to": today}))) == 3
    assert owner.get("/images", {"favorites": "true"}).json()["items"][0]["starred"] is True
    corrected = owner.get("/images", {"q": "lighthuose"}).json()
    assert corrected["corrected_query"] == "lighthouse" and len(corrected["items"]) == 2
    for name, value in (("size", "huge"), ("date_to", "0"), ("favorites", "yes")):
        response = owner.get("/images", {name: value})
        assert response.status_code == 422 and error_of(response)["field"] == name


def test_image_pages_follow_the_cursor(world, apis, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GALLERY_PAGE_SIZE = 2
    newest = GeneratedImageFactory(generation=GenerationFactory(user=world.owner))
    first = apis["owner"].get("/images").json()
    assert [item["id"] for item in first["items"]] == [newest.pk, world.private.pk]
    second = apis["owner"].get("/images", {"cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == [world.shared.pk]
    assert second["next_cursor"] is None


def test_a_library_is_listed_for_its_members_only(world, apis) -> None:  # type: ignore[no-untyped-def]
    assert ids(apis["teammate"].get("/library", {"team": "crew"})) == [world.shared.pk]
    assert apis["teammate"].get("/library", {"team": "crew"}).json()["items"][0]["owner"] == "alice"
    assert ids(apis["teammate"].get("/library", {"team": "crew", "q": "diary"})) == []
    for team in ("crew", "nosuch"):
        response = apis["outsider"].get("/library", {"team": team})
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    missing = apis["teammate"].get("/library")
    assert missing.status_code == 422 and error_of(missing)["field"] == "team"


def test_an_image_is_seen_by_its_owner_and_teammates_once_shared(world, apis) -> None:  # type: ignore[no-untyped-def]
    assert apis["owner"].get(f"/images/{world.private.pk}").json()["id"] == world.private.pk
    assert apis["teammate"].get(f"/images/{world.shared.pk}").json()["owner"] == "alice"
    for who, image in (("teammate", world.private), ("outsider", world.shared)):
        response = apis[who].get(f"/images/{image.pk}")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_an_image_is_downloaded_by_whoever_may_see_it(world, apis) -> None:  # type: ignore[no-untyped-def]
    response = apis["teammate"].get(f"/images/{world.shared.pk}/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    for who, image in (("teammate", world.private), ("outsider", world.shared)):
        assert apis[who].get(f"/images/{image.pk}/download").status_code == 404


def test_trash_and_restore_round_trip(world, apis) -> None:  # type: ignore[no-untyped-def]
    owner = apis["owner"]
    trashed = owner.post(f"/images/{world.private.pk}/trash")
    assert trashed.status_code == 200 and trashed.json()["trashed"] is True
    assert ids(owner.get("/images")) == [world.shared.pk]
    # Its owner still finds it, in the trash; a second trash is a 404 like any missing image.
    assert owner.get(f"/images/{world.private.pk}").json()["trashed"] is True
    assert owner.post(f"/images/{world.private.pk}/trash").status_code == 404
    restored = owner.post(f"/images/{world.private.pk}/restore")
    assert restored.status_code == 200 and restored.json()["trashed"] is False
    assert owner.post(f"/images/{world.private.pk}/restore").status_code == 404


def test_a_star_is_set_and_taken_with_an_explicit_value(world, apis) -> None:  # type: ignore[no-untyped-def]
    teammate = apis["teammate"]
    starred = teammate.post(f"/images/{world.shared.pk}/star", {"starred": True})
    assert starred.status_code == 200 and starred.json()["starred"] is True
    assert Favorite.objects.filter(user=world.teammate, image=world.shared).exists()
    assert (
        teammate.post(f"/images/{world.shared.pk}/star", {"starred": False}).json()["starred"]
        is False
    )
    assert not Favorite.objects.exists()
    response = teammate.post(f"/images/{world.shared.pk}/star", {"starred": "yes"})
    assert response.status_code == 422 and error_of(response)["field"] == "starred"


def test_sharing_and_unsharing_ones_own_image(world, apis) -> None:  # type: ignore[no-untyped-def]
    owner = apis["owner"]
    shared = owner.post(f"/images/{world.private.pk}/share", {"team": "crew"})
    assert shared.status_code == 200 and shared.json()["shared_team_id"] == world.crew.pk
    assert world.private.pk in ids(apis["teammate"].get("/library", {"team": "crew"}))
    assert owner.post(f"/images/{world.private.pk}/share", {"team": "rivals"}).status_code == 404
    unshared = owner.post(f"/images/{world.private.pk}/unshare")
    assert unshared.status_code == 200 and unshared.json()["shared_team_id"] is None
    GeneratedImage.objects.filter(pk=world.private.pk).update(hidden_at=timezone.now())
    hidden = owner.post(f"/images/{world.private.pk}/share", {"team": "crew"})
    assert hidden.status_code == 409 and error_of(hidden)["code"] == "image_hidden"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("trash", None),
        ("restore", None),
        ("share", {"team": "rivals"}),
        ("unshare", None),
        ("star", {"starred": True}),
    ],
)
def test_others_images_are_404_for_every_action(world, apis, action, body) -> None:  # type: ignore[no-untyped-def]
    for who, image in (("outsider", world.shared), ("outsider", world.private)):
        response = apis[who].post(f"/images/{image.pk}/{action}", body)
        assert response.status_code == 404, (action, response.content)
        assert error_of(response)["code"] == "not_found"
    # A teammate sees the shared image but it is not theirs to trash or share.
    if action != "star":
        assert apis["teammate"].post(f"/images/{world.shared.pk}/{action}", body).status_code == 404
    world.shared.refresh_from_db()
    assert world.shared.deleted_at is None and world.shared.shared_team_id == world.crew.pk
    assert not Favorite.objects.filter(user=world.outsider).exists()


def test_every_error_has_the_one_shape(world, apis) -> None:  # type: ignore[no-untyped-def]
    owner = apis["owner"]
    cases = [
        (owner.get("/no/such/path"), 404, "not_found"),
        (owner.get("/"), 404, "not_found"),
        (owner.get("/me/"), 404, "not_found"),
        (owner.client.delete("/api/v1/me", headers=owner.headers()), 405, "method_not_allowed"),
        (owner.get("/images/0"), 422, "invalid"),
        (owner.get(f"/images/{2**63}"), 422, "invalid"),
        (owner.get("/images/999999999"), 404, "not_found"),
        (ApiClient("mka1_wrong").get("/me"), 401, "invalid_token"),
        (owner.post("/images/1/star", {}), 422, "invalid"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/json"
        assert error_of(response)["code"] == code
    assert owner.client.delete("/api/v1/me", headers=owner.headers())["Allow"] == "GET"
    assert error_of(owner.post("/images/1/star", {}))["field"] == "starred"


def test_me_shows_teams_and_what_remains_of_each_quota(world, apis, settings) -> None:  # type: ignore[no-untyped-def]
    settings.QUOTA_USER_DAILY_IMAGES = 50
    world.crew.monthly_image_limit = 100
    world.crew.save()
    GenerationFactory(user=world.owner, team=world.crew, charged=4)
    body = apis["owner"].get("/me").json()
    assert (body["username"], body["email"]) == ("alice", world.owner.email)
    assert body["daily_images"]["limit"] == 50 and body["daily_images"]["remaining"] == 46
    (crew,) = body["teams"]
    assert (crew["slug"], crew["role"]) == ("crew", "admin")
    assert crew["monthly_images"]["used"] == 4 and crew["monthly_images"]["remaining"] == 96


def test_list_pages_cost_the_same_few_queries_for_many_rows(
    world, apis, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        generation = GenerationFactory(user=world.owner, prompt=f"lighthouse {n}", team=world.crew)
        FavoriteFactory(image=GeneratedImageFactory(generation=generation), user=world.owner)
    apis["owner"].get("/me")  # its first use, written once a minute
    # The token (with its user), the page, the rows; the generations' page alike.
    with django_assert_max_num_queries(3):
        assert len(ids(apis["owner"].get("/images"))) == 14
    with django_assert_max_num_queries(2):
        assert len(ids(apis["owner"].get("/generations"))) == 14
