"""Every list page runs a handful of queries, however many images there are."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gallery import services
from gallery.models import GeneratedImage, Generation
from tests.factories import (
    FavoriteFactory,
    GeneratedImageFactory,
    GenerationFactory,
    SavedSearchFactory,
    UserFactory,
)

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]

MAX_QUERIES = 8
# A search that matches nothing runs once more with the words corrected (the misspelling
# fallback), so that page alone may take two more.
MAX_QUERIES_BY_PAGE = {"misspelt search": MAX_QUERIES + 2}


@pytest.fixture
def owner(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="owner")
    client.force_login(user)
    SavedSearchFactory(user=user, name="Lighthouses")
    return user


def add_images(owner, count: int) -> None:  # type: ignore[no-untyped-def]
    """Images of every kind the pages show: plain, starred, trashed, and failed generations."""
    for number in range(count):
        generation = GenerationFactory(
            user=owner, prompt=f"a lighthouse number {number}", size="512x512", n=2
        )
        image = GeneratedImageFactory(generation=generation, index=0)
        GeneratedImageFactory(generation=generation, index=1)
        FavoriteFactory(user=owner, image=image)
        trashed = GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt="gone"))
        GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
        GenerationFactory(user=owner, prompt=f"a failed lighthouse {number}", status="failed")


def pages(owner) -> dict[str, Callable[[], str]]:  # type: ignore[no-untyped-def]
    """Each list page's URL, worked out once the images exist."""

    def image_url(**query: str) -> str:
        image = GeneratedImage.objects.filter(user=owner, deleted_at__isnull=True).order_by(
            "-created_at", "-pk"
        )[3]
        suffix = "?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else ""
        return reverse("gallery:image", args=[image.pk]) + suffix

    def export_url() -> str:
        ids = list(GeneratedImage.objects.filter(user=owner).values_list("pk", flat=True))
        export = services.export_start(user=owner, image_ids=ids)
        return reverse("gallery:export", args=[export.pk])

    index = reverse("gallery:index")
    return {
        "gallery": lambda: index,
        "search": lambda: index + "?q=lighthouse",
        "search by relevance": lambda: index + "?q=lighthouse&sort=relevance",
        "misspelt search": lambda: index + "?q=lighthuose",
        "filters": lambda: index + "?size=512x512&favorites=on&date_from=2000-01-01",
        "search and filters": lambda: index + "?q=lighthouse&size=512x512&favorites=on",
        "oldest": lambda: index + "?sort=oldest",
        "failed generations": lambda: index + "?status=failed",
        "trash": lambda: reverse("gallery:trash"),
        "image": image_url,
        "image in a search": lambda: image_url(q="lighthouse", size="512x512"),
        "export": export_url,
    }


def count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page", list(pages(None)))
def test_a_list_page_runs_the_same_few_queries_for_3_or_30_images(
    client, owner, django_assert_max_num_queries, page: str
) -> None:
    add_images(owner, 3)
    few = count_queries(client, pages(owner)[page]())

    add_images(owner, 27)
    url = pages(owner)[page]()
    with django_assert_max_num_queries(MAX_QUERIES_BY_PAGE.get(page, MAX_QUERIES)):
        response = client.get(url)
    assert response.status_code == 200
    many = count_queries(client, url)
    # A search may need one query fewer once the first tier fills a page; never more.
    assert many <= few, f"{page}: {few} queries with 3 images, {many} with 30"


def test_the_pages_do_list_the_thirty_images(client, owner) -> None:
    add_images(owner, 30)
    gallery = client.get(reverse("gallery:index"))
    assert len(gallery.context["page"].images) == 48
    favorites = client.get(reverse("gallery:index"), {"favorites": "on", "size": "512x512"})
    assert len(favorites.context["page"].images) == 30
    assert len(client.get(reverse("gallery:trash")).context["page"].images) == 30
    failed = client.get(reverse("gallery:index"), {"status": Generation.Status.FAILED})
    assert len(failed.context["generations"].generations) == 30
