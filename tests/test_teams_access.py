"""Every teams URL for the owner, a teammate, a member of another team and a visitor.

Crew holds alice (team admin, owner of the images) and bob (member); eve is the admin of
Rivals. Someone else's image or team is a 404, never a 403, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.selectors import CURRENT_TEAM_SESSION_KEY
from gallery.models import Favorite, GeneratedImage, Generation
from tests.factories import UserFactory
from tests.team_world import TeamWorld, build_world

pytestmark = [pytest.mark.teams, pytest.mark.security, pytest.mark.django_db]


@pytest.fixture
def world() -> TeamWorld:
    return build_world()


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def state() -> tuple[list[Any], list[Any], list[Any], int]:
    """Everything a teams request could change, to show that a refused one changed nothing."""
    images = list(GeneratedImage.objects.order_by("pk").values_list("pk", "shared_team_id"))
    memberships = list(Membership.objects.order_by("pk").values_list("pk", "team_id", "role"))
    favorites = list(Favorite.objects.order_by("pk").values_list("user_id", "image_id"))
    return images, memberships, favorites, Generation.objects.count()


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[TeamWorld], str]
    data: Callable[[TeamWorld], dict[str, Any]] = lambda world: {}


ENDPOINTS = {
    "library": Endpoint("get", lambda w: reverse("gallery:library")),
    "library image": Endpoint(
        "get", lambda w: reverse("gallery:library-image", args=[w.shared.pk])
    ),
    "library remix": Endpoint(
        "get", lambda w: reverse("gallery:library-remix", args=[w.shared.pk])
    ),
    "share": Endpoint(
        "post", lambda w: reverse("gallery:image-share", args=[w.private.pk]),
        lambda w: {"team": w.crew.slug},
    ),
    "unshare": Endpoint("post", lambda w: reverse("gallery:image-unshare", args=[w.shared.pk])),
    "bulk share": Endpoint(
        "post", lambda w: reverse("gallery:bulk"),
        lambda w: {"action": "share", "ids": [w.private.pk]},
    ),
    "bulk unshare": Endpoint(
        "post", lambda w: reverse("gallery:bulk"),
        lambda w: {"action": "unshare", "ids": [w.shared.pk]},
    ),
    "original": Endpoint("get", lambda w: reverse("gallery:image-file", args=[w.shared.pk])),
    "thumbnail": Endpoint(
        "get", lambda w: reverse("gallery:image-thumbnail", args=[w.shared.pk])
    ),
    "favorite": Endpoint(
        "post", lambda w: reverse("gallery:image-favorite", args=[w.shared.pk]),
        lambda w: {"favorite": "1"},
    ),
    "generate remix": Endpoint(
        "post", lambda w: reverse("gallery:generate"),
        lambda w: {"prompt": "a remix", "model": "meetkai:z-image-turbo", "n": 1,
                   "size": "256x256", "quality": "standard", "style": "vivid",
                   "response_format": "url", "remixed_from": w.shared.pk},
    ),
    "team switch": Endpoint(
        "post", lambda w: reverse("accounts:team-switch"), lambda w: {"team": w.crew.slug}
    ),
    "team": Endpoint("get", lambda w: reverse("accounts:team", args=[w.crew.slug])),
    "team usage": Endpoint("get", lambda w: reverse("gallery:team-usage", args=[w.crew.slug])),
    "member add": Endpoint(
        "post", lambda w: reverse("accounts:member-add", args=[w.crew.slug]),
        lambda w: {"username_or_email": "eve", "role": "member"},
    ),
    "member role": Endpoint(
        "post",
        lambda w: reverse("accounts:member-role", args=[w.crew.slug, w.teammate_membership.pk]),
        lambda w: {"role": "admin"},
    ),
    "member remove": Endpoint(
        "post",
        lambda w: reverse("accounts:member-remove", args=[w.crew.slug, w.teammate_membership.pk]),
    ),
    "usage": Endpoint("get", lambda w: reverse("gallery:usage")),
}  # fmt: skip


def call(client: Client, endpoint: Endpoint, world: TeamWorld) -> Any:
    return getattr(client, endpoint.method)(endpoint.url(world), endpoint.data(world))


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_anonymous_visitor_is_sent_to_log_in_and_changes_nothing(
    client: Client, world: TeamWorld, name: str
) -> None:
    before = state()
    response = call(client, ENDPOINTS[name], world)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert state() == before


# -- the library and its images -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_library_lists_the_shared_image_with_its_creator(
    client: Client, world: TeamWorld, who: str
) -> None:
    page = logged_in(client, world.user(who)).get(reverse("gallery:library"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="image-{world.shared.pk}"' in html
    assert "by alice" in html
    assert f'id="image-{world.private.pk}"' not in html


def test_library_of_another_team_does_not_list_it(client: Client, world: TeamWorld) -> None:
    page = logged_in(client, world.outsider).get(reverse("gallery:library"))
    assert page.status_code == 200
    assert f'id="image-{world.shared.pk}"' not in page.content.decode()
    assert "Rivals library" in page.content.decode()


def test_library_without_a_team_says_so(client: Client, world: TeamWorld) -> None:
    page = logged_in(client, UserFactory()).get(reverse("gallery:library"))
    assert page.status_code == 200
    assert "You are not in a team yet" in page.content.decode()


@pytest.mark.parametrize("name", ["library image", "library remix", "original", "thumbnail"])
@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_owner_and_teammate_open_a_shared_image(
    client: Client, world: TeamWorld, name: str, who: str
) -> None:
    response = call(logged_in(client, world.user(who)), ENDPOINTS[name], world)
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["library image", "library remix", "original", "thumbnail"])
def test_member_of_another_team_cannot_open_a_shared_image(
    client: Client, world: TeamWorld, name: str
) -> None:
    assert call(logged_in(client, world.outsider), ENDPOINTS[name], world).status_code == 404


IMAGE_VIEWS = ["library-image", "library-remix", "image-file", "image-thumbnail"]


@pytest.mark.parametrize("name", IMAGE_VIEWS)
def test_teammate_cannot_open_an_image_that_is_not_shared(
    client: Client, world: TeamWorld, name: str
) -> None:
    response = logged_in(client, world.teammate).get(
        reverse(f"gallery:{name}", args=[world.private.pk])
    )
    assert response.status_code == 404


def test_library_image_credits_the_creator_and_offers_a_remix(
    client: Client, world: TeamWorld
) -> None:
    page = logged_in(client, world.teammate).get(
        reverse("gallery:library-image", args=[world.shared.pk])
    )
    html = page.content.decode()
    assert "Shared by alice" in html
    assert reverse("gallery:library-remix", args=[world.shared.pk]) in html
    remix = client.get(reverse("gallery:library-remix", args=[world.shared.pk])).content.decode()
    assert "Remix an image by alice" in remix
    assert f'name="remixed_from" value="{world.shared.pk}"' in remix
    assert "a lighthouse in the fog" in remix


# -- sharing ------------------------------------------------------------------------------------


def test_owner_shares_an_image_with_their_team(client: Client, world: TeamWorld) -> None:
    response = call(logged_in(client, world.owner), ENDPOINTS["share"], world)
    assert response.status_code == 302
    world.private.refresh_from_db()
    assert world.private.shared_team == world.crew and world.private.shared_at is not None
    page = logged_in(client, world.teammate).get(reverse("gallery:library"))
    assert f'id="image-{world.private.pk}"' in page.content.decode()


def test_sharing_with_a_team_one_is_not_in_is_a_404(client: Client, world: TeamWorld) -> None:
    before = state()
    response = logged_in(client, world.owner).post(
        reverse("gallery:image-share", args=[world.private.pk]), {"team": world.rivals.slug}
    )
    assert response.status_code == 404
    assert state() == before


@pytest.mark.parametrize("name", ["share", "unshare"])
@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_only_the_owner_shares_and_unshares(
    client: Client, world: TeamWorld, name: str, who: str
) -> None:
    before = state()
    assert call(logged_in(client, world.user(who)), ENDPOINTS[name], world).status_code == 404
    assert state() == before


def test_owner_unshares_and_the_library_no_longer_shows_it(
    client: Client, world: TeamWorld
) -> None:
    assert call(logged_in(client, world.owner), ENDPOINTS["unshare"], world).status_code == 302
    world.shared.refresh_from_db()
    assert world.shared.shared_team is None and world.shared.shared_at is None
    teammate = logged_in(Client(), world.teammate)
    assert teammate.get(reverse("gallery:library-image", args=[world.shared.pk])).status_code == 404


def test_bulk_share_and_unshare_by_the_owner(client: Client, world: TeamWorld) -> None:
    logged_in(client, world.owner)
    response = call(client, ENDPOINTS["bulk share"], world)
    assert response.status_code == 302
    assert "Shared 1 image(s) with Crew." in messages_of(response)
    world.private.refresh_from_db()
    assert world.private.shared_team == world.crew

    response = client.post(
        reverse("gallery:bulk"), {"action": "unshare", "ids": [world.shared.pk, world.private.pk]}
    )
    assert "Stopped sharing 2 image(s)." in messages_of(response)
    assert not GeneratedImage.objects.filter(shared_team__isnull=False).exists()


@pytest.mark.parametrize("name", ["bulk share", "bulk unshare"])
@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_bulk_share_of_someone_elses_images_leaves_them_alone(
    client: Client, world: TeamWorld, name: str, who: str
) -> None:
    before = state()
    response = call(logged_in(client, world.user(who)), ENDPOINTS[name], world)
    assert response.status_code == 302
    assert any("not yours" in message for message in messages_of(response))
    assert state() == before


def test_bulk_share_shares_with_the_team_chosen_in_the_header(
    client: Client, world: TeamWorld
) -> None:
    Membership.objects.create(team=world.rivals, user=world.owner)
    logged_in(client, world.owner)
    client.post(reverse("accounts:team-switch"), {"team": world.rivals.slug})
    client.post(reverse("gallery:bulk"), {"action": "share", "ids": [world.private.pk]})
    world.private.refresh_from_db()
    assert world.private.shared_team == world.rivals


def test_bulk_share_without_a_team_says_so(client: Client, world: TeamWorld) -> None:
    Membership.objects.filter(user=world.owner).delete()
    before = state()
    response = call(logged_in(client, world.owner), ENDPOINTS["bulk share"], world)
    assert "You are not in a team to share with." in messages_of(response)
    assert state() == before


# -- stars on shared images ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_owner_and_teammate_star_a_shared_image(client: Client, world: TeamWorld, who: str) -> None:
    user = world.user(who)
    assert call(logged_in(client, user), ENDPOINTS["favorite"], world).status_code == 302
    assert Favorite.objects.filter(user=user, image=world.shared).exists()


def test_outsider_cannot_star_a_shared_image(client: Client, world: TeamWorld) -> None:
    before = state()
    assert call(logged_in(client, world.outsider), ENDPOINTS["favorite"], world).status_code == 404
    assert state() == before


def test_teammate_cannot_star_an_image_that_is_not_shared(client: Client, world: TeamWorld) -> None:
    response = logged_in(client, world.teammate).post(
        reverse("gallery:image-favorite", args=[world.private.pk]), {"favorite": "1"}
    )
    assert response.status_code == 404
    assert not Favorite.objects.exists()


# -- remixing -----------------------------------------------------------------------------------


def test_teammate_remix_is_their_own_generation_crediting_the_source(
    client: Client, world: TeamWorld
) -> None:
    response = call(logged_in(client, world.teammate), ENDPOINTS["generate remix"], world)
    assert response.status_code == 302
    generation = Generation.objects.get(user=world.teammate)
    assert generation.remixed_from == world.shared
    assert generation.team == world.crew


@pytest.mark.parametrize("who", ["outsider", "teammate"])
def test_remixing_an_image_one_cannot_see_is_refused(
    client: Client, world: TeamWorld, who: str
) -> None:
    endpoint = ENDPOINTS["generate remix"]
    data = endpoint.data(world)
    if who == "teammate":
        data["remixed_from"] = world.private.pk
    before = state()
    response = logged_in(client, world.user(who)).post(endpoint.url(world), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The image to remix is not available to you; nothing was submitted." in html
    # A second submit of the form as shown goes through as a plain generation.
    assert 'name="remixed_from" id="id_remixed_from"' in html
    assert f'name="remixed_from" value="{data["remixed_from"]}"' not in html
    assert state() == before


# -- switching team -----------------------------------------------------------------------------


def test_switching_to_ones_own_team(client: Client, world: TeamWorld) -> None:
    Membership.objects.create(team=world.rivals, user=world.owner)
    logged_in(client, world.owner)
    response = client.post(
        reverse("accounts:team-switch"), {"team": world.rivals.slug, "next": "/library/"}
    )
    assert response.status_code == 302 and response["Location"] == "/library/"
    assert client.session[CURRENT_TEAM_SESSION_KEY] == world.rivals.pk
    assert "Rivals library" in client.get(reverse("gallery:library")).content.decode()


@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_members_switch_to_their_team(client: Client, world: TeamWorld, who: str) -> None:
    response = call(logged_in(client, world.user(who)), ENDPOINTS["team switch"], world)
    assert response.status_code == 302
    assert client.session[CURRENT_TEAM_SESSION_KEY] == world.crew.pk
    assert "You now work for Crew." in messages_of(response)


def test_switching_to_someone_elses_team_is_a_404(client: Client, world: TeamWorld) -> None:
    logged_in(client, world.outsider)
    response = client.post(reverse("accounts:team-switch"), {"team": world.crew.slug})
    assert response.status_code == 404
    assert CURRENT_TEAM_SESSION_KEY not in client.session
    assert "Rivals library" in client.get(reverse("gallery:library")).content.decode()


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "/\\/evil.example/", "https://evil.example/"]
)
def test_switching_never_redirects_off_the_site(
    client: Client, world: TeamWorld, target: str
) -> None:
    logged_in(client, world.owner)
    response = client.post(
        reverse("accounts:team-switch"), {"team": world.crew.slug, "next": target}
    )
    assert response["Location"] == "/"


# -- team pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_members_see_their_team(client: Client, world: TeamWorld, who: str) -> None:
    page = call(logged_in(client, world.user(who)), ENDPOINTS["team"], world)
    assert page.status_code == 200
    html = page.content.decode()
    assert "alice" in html and "bob" in html and "eve" not in html
    manage = reverse("accounts:member-add", args=[world.crew.slug])
    assert (manage in html) == (who == "owner")


def test_outsider_cannot_see_the_team(client: Client, world: TeamWorld) -> None:
    assert call(logged_in(client, world.outsider), ENDPOINTS["team"], world).status_code == 404


def test_team_usage_is_for_team_admins(client: Client, world: TeamWorld) -> None:
    assert call(logged_in(client, world.owner), ENDPOINTS["team usage"], world).status_code == 200
    for user in (world.teammate, world.outsider):
        assert call(logged_in(Client(), user), ENDPOINTS["team usage"], world).status_code == 404


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_everyone_sees_their_own_usage(client: Client, world: TeamWorld, who: str) -> None:
    assert call(logged_in(client, world.user(who)), ENDPOINTS["usage"], world).status_code == 200


@pytest.mark.parametrize("name", ["member add", "member role", "member remove"])
@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_only_the_teams_admins_manage_its_members(
    client: Client, world: TeamWorld, name: str, who: str
) -> None:
    before = state()
    assert call(logged_in(client, world.user(who)), ENDPOINTS[name], world).status_code == 404
    assert state() == before


@pytest.mark.parametrize("action", ["member-role", "member-remove"])
def test_an_admin_cannot_reach_another_teams_members_through_their_own_team(
    client: Client, world: TeamWorld, action: str
) -> None:
    before = state()
    response = logged_in(client, world.outsider).post(
        reverse(f"accounts:{action}", args=[world.rivals.slug, world.teammate_membership.pk]),
        {"role": "admin"},
    )
    assert response.status_code == 404
    assert state() == before


def test_admin_adds_changes_and_removes_a_member(client: Client, world: TeamWorld) -> None:
    logged_in(client, world.owner)
    response = call(client, ENDPOINTS["member add"], world)
    assert "Added eve to Crew." in messages_of(response)
    assert Membership.objects.filter(team=world.crew, user=world.outsider).exists()

    response = call(client, ENDPOINTS["member role"], world)
    assert "bob is now Team admin." in messages_of(response)
    world.teammate_membership.refresh_from_db()
    assert world.teammate_membership.role == Membership.Role.ADMIN

    response = call(client, ENDPOINTS["member remove"], world)
    assert "Removed bob from Crew." in messages_of(response)
    assert not Membership.objects.filter(pk=world.teammate_membership.pk).exists()


# -- leaving and trashing -----------------------------------------------------------------------


def test_a_removed_member_loses_access_at_once(client: Client, world: TeamWorld) -> None:
    bob = logged_in(Client(), world.teammate)
    image_page = reverse("gallery:library-image", args=[world.shared.pk])
    file_url = reverse("gallery:image-file", args=[world.shared.pk])
    assert bob.get(image_page).status_code == 200
    assert bob.get(file_url).status_code == 200

    call(logged_in(client, world.owner), ENDPOINTS["member remove"], world)

    for url in (image_page, file_url, reverse("gallery:image-thumbnail", args=[world.shared.pk])):
        assert bob.get(url).status_code == 404
    star = bob.post(reverse("gallery:image-favorite", args=[world.shared.pk]), {"favorite": "1"})
    assert star.status_code == 404
    library = bob.get(reverse("gallery:library")).content.decode()
    assert f'id="image-{world.shared.pk}"' not in library
    assert "You are not in a team yet" in library


def test_trashing_the_original_takes_it_out_of_the_library(
    client: Client, world: TeamWorld
) -> None:
    logged_in(client, world.owner).post(reverse("gallery:image-delete", args=[world.shared.pk]))
    bob = logged_in(Client(), world.teammate)
    library = bob.get(reverse("gallery:library")).content.decode()
    assert f'id="image-{world.shared.pk}"' not in library
    for name in IMAGE_VIEWS:
        assert bob.get(reverse(f"gallery:{name}", args=[world.shared.pk])).status_code == 404
