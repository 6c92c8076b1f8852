"""One object's page: a generation with its images, an image with its neighbours and star."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from ..models import Favorite, GeneratedImage, Generation, MissingImage
from ..values import GalleryFilters, user_id_of
from .access import (
    Viewer,
    get_generation_for_user,
    get_image_for_user,
    get_library_image,
    runs_library_of,
)
from .gallery import image_neighbors, with_card_fields


@dataclass
class GenerationDetail:
    generation: Generation
    # Its images that are not in the trash, and those that could not be stored, with why.
    images: list[GeneratedImage]
    missing: list[MissingImage]


def generation_detail(user: Viewer, pk: int) -> GenerationDetail:
    generation = get_generation_for_user(user, pk)
    return GenerationDetail(
        generation,
        list(GeneratedImage.objects.alive().filter(generation=generation)),
        list(generation.missing_images.order_by("index")),
    )


def generation_card(user: Viewer, pk: int) -> tuple[Generation, list[GeneratedImage]]:
    """A generation and, once it has ended, its images as cards show them."""
    generation = get_generation_for_user(user, pk)
    if generation.is_pending:
        return generation, []
    images = GeneratedImage.objects.alive().filter(generation=generation)
    return generation, list(with_card_fields(images))


def images_in_order(ids: list[int]) -> list[GeneratedImage]:
    """Whole rows, with their owner and their generation's prompt (as `prompt`), of images a
    page's query found and checked already; in the order of the ids."""
    rows = (
        GeneratedImage.objects.filter(pk__in=ids)
        .select_related("user")
        .defer("search_vector")
        .annotate(prompt=F("generation__prompt"))
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def favorite_ids(user: Viewer, ids: list[int]) -> set[int]:
    """Those of the images that the user starred."""
    starred = Favorite.objects.filter(user_id=user_id_of(user), image_id__in=ids)
    return set(starred.values_list("image_id", flat=True))


def is_favorite(user: Viewer, image: GeneratedImage) -> bool:
    return Favorite.objects.filter(user_id=user_id_of(user), image_id=image.pk).exists()


@dataclass
class ImageDetail:
    image: GeneratedImage
    # The other images of its generation that are not in the trash.
    siblings: list[GeneratedImage]
    is_favorite: bool
    # The images just newer and just older in the gallery's filtered order.
    newer: int | None
    older: int | None


def image_detail(user: Viewer, pk: int, filters: GalleryFilters) -> ImageDetail:
    """The user's own image, as its page in their gallery shows it; 404 for anyone else."""
    image = get_image_for_user(user, pk)
    siblings = GeneratedImage.objects.alive().filter(generation_id=image.generation_id)
    newer, older = image_neighbors(user, image, filters)
    return ImageDetail(
        image, list(siblings.exclude(pk=image.pk)), is_favorite(user, image), newer, older
    )


@dataclass
class LibraryImageDetail:
    image: GeneratedImage
    is_favorite: bool
    # Whether the viewer runs the team's library (a team admin may take the image out of it).
    can_remove: bool


def library_image_detail(user: Viewer, pk: int) -> LibraryImageDetail:
    """A shared image as the library shows it."""
    image = get_library_image(user, pk)
    can_remove = image.shared_team_id is not None and runs_library_of(user, image)
    return LibraryImageDetail(image, is_favorite(user, image), can_remove)
