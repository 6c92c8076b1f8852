"""Every gallery URL for its owner, for another user and for a visitor who is not logged in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from gallery import services
from gallery.models import Export, Favorite, GeneratedImage, Generation, SavedSearch
from tests.factories import (
    GeneratedImageFactory,
    GenerationFactory,
    SavedSearchFactory,
    UserFactory,
)

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]


@dataclass
class World:
    owner: object
    outsider: object
    image: GeneratedImage
    trashed: GeneratedImage
    generation: Generation
    saved: SavedSearch
    export: Export


@pytest.fixture
def world() -> World:
    owner = UserFactory(username="owner")
    image = GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt="a lighthouse"))
    trashed = GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt="a tower"))
    GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    pending = GenerationFactory(user=owner, prompt="a harbour", status=Generation.Status.QUEUED)
    export = services.export_start(user=owner, image_ids=[image.pk])
    services.export_build(export_id=export.pk)
    return World(
        owner=owner,
        outsider=UserFactory(username="outsider"),
        image=image,
        trashed=trashed,
        generation=pending,
        saved=SavedSearchFactory(user=owner, name="Lighthouses", query_string="q=lighthouse"),
        export=export,
    )


def get_urls(world: World) -> list[str]:
    return [
        reverse("gallery:index") + "?q=lighthouse&size=256x256&favorites=on",
        reverse("gallery:index") + "?status=queued",
        reverse("gallery:trash"),
        reverse("gallery:image", args=[world.image.pk]),
        reverse("gallery:generation-card", args=[world.generation.pk]),
        reverse("gallery:generation-remix", args=[world.generation.pk]),
        reverse("gallery:export", args=[world.export.pk]),
        reverse("gallery:export-download", args=[world.export.pk]),
        reverse("gallery:image-thumbnail", args=[world.trashed.pk]) + "?trashed=1",
    ]


def post_requests(world: World) -> list[tuple[str, dict[str, object]]]:
    return [
        (reverse("gallery:trash-empty"), {}),
        (reverse("gallery:saved-search-create"), {"name": "x", "query_string": "q=x"}),
        (reverse("gallery:saved-search-delete", args=[world.saved.pk]), {}),
        (reverse("gallery:image-favorite", args=[world.image.pk]), {"favorite": "1"}),
        (reverse("gallery:bulk"), {"action": "trash", "ids": [world.image.pk]}),
        (reverse("gallery:export-search"), {"query_string": "q=lighthouse"}),
    ]


def assert_untouched(world: World) -> None:
    assert GeneratedImage.objects.filter(pk=world.image.pk, deleted_at__isnull=True).exists()
    assert GeneratedImage.objects.filter(pk=world.trashed.pk).exists()
    assert SavedSearch.objects.filter(pk=world.saved.pk).exists()
    assert not Favorite.objects.exists()
    assert Export.objects.count() == 1
    assert SavedSearch.objects.count() == 1


def test_a_visitor_is_sent_to_log_in_everywhere(client, world) -> None:
    login = reverse("login")
    for url in get_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    for url, data in post_requests(world):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    assert_untouched(world)


def test_the_owner_reaches_every_page(client, world) -> None:
    client.force_login(world.owner)
    for url in get_urls(world):
        assert client.get(url).status_code == 200, url


def test_the_owner_can_do_every_action(client, world) -> None:
    client.force_login(world.owner)
    for url, data in post_requests(world):
        assert client.post(url, data).status_code == 302, url
    assert not GeneratedImage.objects.filter(pk=world.trashed.pk).exists()
    assert SavedSearch.objects.filter(user=world.owner).values_list("name", flat=True).get() == "x"
    assert GeneratedImage.objects.get(pk=world.image.pk).deleted_at is not None
    assert Favorite.objects.filter(user=world.owner, image=world.image).exists()
    assert Export.objects.filter(user=world.owner).count() == 2


def test_another_user_gets_404_for_each_of_the_owners_things(client, world) -> None:
    client.force_login(world.outsider)
    for url in get_urls(world)[3:]:
        assert client.get(url).status_code == 404, url
    for name, args in [
        ("saved-search-delete", [world.saved.pk]),
        ("image-favorite", [world.image.pk]),
    ]:
        assert client.post(reverse(f"gallery:{name}", args=args)).status_code == 404, name
    assert_untouched(world)


def test_another_user_sees_only_their_own_in_lists(client, world) -> None:
    client.force_login(world.outsider)
    index = client.get(reverse("gallery:index"), {"q": "lighthouse"})
    assert index.context["page"].images == []
    assert "Lighthouses" not in index.text
    assert (
        client.get(reverse("gallery:index"), {"status": "queued"})
        .context["generations"]
        .generations
        == []
    )
    assert client.get(reverse("gallery:trash")).context["page"].images == []


def test_another_users_actions_leave_the_owners_things_alone(client, world) -> None:
    client.force_login(world.outsider)
    client.post(reverse("gallery:trash-empty"))
    client.post(reverse("gallery:bulk"), {"action": "trash", "ids": [world.image.pk]})
    client.post(reverse("gallery:bulk"), {"action": "favorite", "ids": [world.image.pk]})
    client.post(reverse("gallery:bulk"), {"action": "delete_forever", "ids": [world.trashed.pk]})
    client.post(reverse("gallery:bulk"), {"action": "download", "ids": [world.image.pk]})
    assert_untouched(world)

    # Their own export of "everything" holds nothing of the owner's.
    response = client.post(reverse("gallery:export-search"), {"query_string": ""})
    export = Export.objects.get(user=world.outsider)
    assert response["Location"] == reverse("gallery:export", args=[export.pk])
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.total == 0
