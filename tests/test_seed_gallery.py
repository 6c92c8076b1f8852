"""The benchmark's seed (bench/seed.py), at a small scale: it must keep up with the schema."""

from __future__ import annotations

import pytest

from accounts.models import Team
from bench import seed
from gallery import selectors
from gallery.models import GeneratedImage, Generation, SearchTerm
from gallery.values import GalleryFilters, Scope

pytestmark = [pytest.mark.gallery, pytest.mark.django_db(transaction=True)]


def test_seed_makes_searchable_users_images_and_a_library(django_user_model) -> None:  # type: ignore[no-untyped-def]
    options = {"total": 120, "big": 60, "small": 10, "per_other_user": 25, "thumbnails": 3}
    seed.seed(**options)

    big = django_user_model.objects.get(username="big")
    small = django_user_model.objects.get(username="small")
    assert GeneratedImage.objects.count() == 120
    assert GeneratedImage.objects.filter(user=big).count() == 60
    assert GeneratedImage.objects.filter(user=small).count() == 10
    assert not Generation.objects.exclude(status=Generation.Status.SUCCEEDED).exists()
    assert set(Generation.objects.values_list("charged", flat=True)) == {1}
    assert SearchTerm.objects.filter(user=big).exists()
    small_team = Team.objects.get(slug="small-team")
    assert GeneratedImage.objects.filter(shared_team=small_team).count() == 10

    # Every seeded prompt finds its image through the gallery's own search.
    image = GeneratedImage.objects.filter(user=big).select_related("generation").first()
    assert image is not None
    word = image.generation.prompt.split()[0]
    page = selectors.gallery_page(big, Scope.own(big), GalleryFilters(q=word))
    assert image.pk in {found.pk for found in page.images}

    seed.seed(**options)
    assert GeneratedImage.objects.count() == 120
