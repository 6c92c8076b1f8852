"""A team's shared library: what it lists, searching it, remixing from it, and the credits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from gallery import services
from gallery.models import GeneratedImage, Generation
from tests.factories import FavoriteFactory, GeneratedImageFactory, GenerationFactory
from tests.team_world import TeamWorld, build_world, share

pytestmark = [pytest.mark.teams, pytest.mark.django_db]


@pytest.fixture
def world() -> TeamWorld:
    return build_world()


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="tile" id="image-(\d+)"', html)]


def shared_image(world: TeamWorld, prompt: str, *, owner: Any = None) -> GeneratedImage:
    generation = GenerationFactory(user=owner or world.owner, prompt=prompt, team=world.crew)
    return share(GeneratedImageFactory(generation=generation), world.crew)


def remix(client: Client, source: GeneratedImage, **changes: Any) -> Any:
    data = {
        "prompt": f"{source.generation.prompt}, in watercolour",
        "model": source.model,
        "n": 1,
        "size": source.size,
        "quality": source.quality,
        "style": source.style,
        "response_format": "b64_json",
        "remixed_from": source.pk,
        **changes,
    }
    return client.post(reverse("gallery:generate"), data)


def test_library_lists_what_teammates_shared_newest_first(world: TeamWorld) -> None:
    newer = shared_image(world, "a red bicycle", owner=world.teammate)
    html = logged_in(world.teammate).get(reverse("gallery:library")).content.decode()
    assert listed(html) == [newer.pk, world.shared.pk]
    assert "by bob" in html and "by alice" in html
    # Library cards open the library's page of the image, not the owner's gallery page.
    assert reverse("gallery:library-image", args=[world.shared.pk]) in html
    assert f'href="{reverse("gallery:image", args=[world.shared.pk])}' not in html


def test_library_search_finds_by_prompt_within_the_team_only(world: TeamWorld) -> None:
    bicycle = shared_image(world, "a red bicycle against a wall")
    rival = GeneratedImageFactory(generation=GenerationFactory(prompt="a red bicycle in snow"))
    share(rival, world.rivals)
    GeneratedImageFactory(generation=GenerationFactory(user=world.owner, prompt="a red bicycle"))

    client = logged_in(world.teammate)
    html = client.get(reverse("gallery:library"), {"q": "bicycle"}).content.decode()
    assert listed(html) == [bicycle.pk]
    assert "Crew library: “bicycle”" in html
    html = client.get(reverse("gallery:library"), {"q": "dusk"}).content.decode()
    assert set(listed(html)) == {bicycle.pk, world.shared.pk}
    html = client.get(reverse("gallery:library"), {"q": "submarine"}).content.decode()
    assert listed(html) == [] and "No shared images match." in html


def test_library_favorites_filter_uses_the_viewers_own_stars(world: TeamWorld) -> None:
    other = shared_image(world, "a green door")
    FavoriteFactory(user=world.teammate, image=other)
    FavoriteFactory(user=world.owner, image=world.shared)
    html = logged_in(world.teammate).get(reverse("gallery:library"), {"favorites": "on"})
    assert listed(html.content.decode()) == [other.pk]


def test_library_follows_the_team_chosen_in_the_header(world: TeamWorld) -> None:
    Membership.objects.create(team=world.rivals, user=world.teammate)
    rival = share(GeneratedImageFactory(generation=GenerationFactory(user=world.outsider)),
                  world.rivals)  # fmt: skip
    client = logged_in(world.teammate)
    assert listed(client.get(reverse("gallery:library")).content.decode()) == [world.shared.pk]
    client.post(reverse("accounts:team-switch"), {"team": "rivals"})
    html = client.get(reverse("gallery:library")).content.decode()
    assert listed(html) == [rival.pk]
    assert '<option value="rivals" selected>' in html
    # Images of every team one is in stay open by their address.
    page = client.get(reverse("gallery:library-image", args=[world.shared.pk]))
    assert page.status_code == 200


def test_library_pages_by_keyset(settings, world: TeamWorld) -> None:  # type: ignore[no-untyped-def]
    settings.GALLERY_PAGE_SIZE = 2
    second = shared_image(world, "a second shared image")
    third = shared_image(world, "a third shared image")
    client = logged_in(world.teammate)
    html = client.get(reverse("gallery:library")).content.decode()
    assert listed(html) == [third.pk, second.pk]
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', html)
    assert older is not None
    html = client.get(reverse("gallery:library"), {"cursor": older.group(1)}).content.decode()
    assert listed(html) == [world.shared.pk]


def test_library_page_costs_the_same_queries_for_few_or_many_images(world: TeamWorld) -> None:
    client = logged_in(world.teammate)
    url = reverse("gallery:library")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(12):
        owner = world.teammate if number % 2 else world.owner
        shared_image(world, f"a shared image number {number}", owner=owner)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(listed(html)) == 13
    assert len(many) == len(few)
    assert len(many) <= 12


def test_owner_shares_from_the_image_page_and_sees_where(world: TeamWorld) -> None:
    client = logged_in(world.owner)
    page = client.get(reverse("gallery:image", args=[world.private.pk])).content.decode()
    assert '<option value="crew" selected>Crew</option>' in page
    assert '<label for="id_share_team">Share with</label>' in page
    client.post(reverse("gallery:image-share", args=[world.private.pk]), {"team": "crew"})
    page = client.get(reverse("gallery:image", args=[world.private.pk])).content.decode()
    assert "Shared with Crew." in page
    gallery = client.get(reverse("gallery:index")).content.decode()
    assert '<span class="badge">Shared</span>' in gallery


def test_a_remix_is_the_remixers_own_and_credits_the_creator(world: TeamWorld) -> None:
    bob = logged_in(world.teammate)
    form = bob.get(reverse("gallery:library-remix", args=[world.shared.pk])).content.decode()
    assert "a lighthouse in the fog" in form
    assert remix(bob, world.shared).status_code == 302

    generation = Generation.objects.get(user=world.teammate)
    assert generation.remixed_from == world.shared and generation.team == world.crew
    image = GeneratedImageFactory(generation=generation)

    credit = (
        f'Remixed from <a href="{reverse("gallery:library-image", args=[world.shared.pk])}">'
        "an image by alice</a>."
    )
    page = bob.get(reverse("gallery:generation", args=[generation.pk])).content.decode()
    assert credit in page
    page = bob.get(reverse("gallery:image", args=[image.pk])).content.decode()
    assert credit in page
    gallery = bob.get(reverse("gallery:index")).content.decode()
    assert '<span class="badge">Remix</span>' in gallery
    # The remix is bob's alone: alice's gallery does not show it.
    assert f'id="image-{image.pk}"' not in logged_in(world.owner).get("/").content.decode()


def test_a_remix_stays_credited_when_the_source_is_trashed(world: TeamWorld) -> None:
    bob = logged_in(world.teammate)
    remix(bob, world.shared)
    generation = Generation.objects.get(user=world.teammate)
    services.images_trash(user=world.owner, image_ids=[world.shared.pk])
    page = bob.get(reverse("gallery:generation", args=[generation.pk])).content.decode()
    assert "an image by alice</a>." in page
    # The source itself is out of reach now.
    assert bob.get(reverse("gallery:library-image", args=[world.shared.pk])).status_code == 404


def test_a_teammates_remix_stays_credited_when_the_remixer_shares_it(world: TeamWorld) -> None:
    bob = logged_in(world.teammate)
    remix(bob, world.shared)
    generation = Generation.objects.get(user=world.teammate)
    image = share(GeneratedImageFactory(generation=generation), world.crew)
    html = logged_in(world.owner).get(reverse("gallery:library-image", args=[image.pk]))
    text = html.content.decode()
    assert "Shared by bob" in text and "an image by alice</a>" in text


def test_the_gallery_offers_bulk_share_with_the_current_team(world: TeamWorld) -> None:
    html = logged_in(world.owner).get(reverse("gallery:index")).content.decode()
    assert '<button type="submit" name="action" value="share">Share with Crew</button>' in html
    assert '<button type="submit" name="action" value="unshare">Unshare</button>' in html
    loner = logged_in(GenerationFactory().user).get(reverse("gallery:index")).content.decode()
    assert 'value="share"' not in loner
