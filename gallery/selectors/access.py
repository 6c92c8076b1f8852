"""Who may read what: every access decision of the gallery, built on the models' visibility
rules. A helper that takes an id returns the object or raises 404: someone else's object is
indistinguishable from none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership
from accounts.selectors import get_membership

from ..models import Export, GeneratedImage, Generation, SavedSearch
from ..values import user_id_of

Viewer = AbstractBaseUser | AnonymousUser

__all__ = [
    "Viewer",
    "get_export_for_user",
    "get_generation_for_user",
    "get_image_for_user",
    "get_library_image",
    "get_library_image_for_admin",
    "get_saved_search_for_user",
    "get_visible_image",
    "get_share_target",
    "owned_image_ids",
    "remix_source",
    "runs_library_of",
    "user_id_of",
    "visible_images",
]


def get_generation_for_user(user: Viewer, pk: int) -> Generation:
    """The user's own generation, or 404."""
    return get_object_or_404(Generation.objects.of(user), pk=pk)


def visible_images(user: Viewer) -> QuerySet[GeneratedImage]:
    """Images the user may look at: their own, and those shared with a team they are in now."""
    return GeneratedImage.objects.visible_to(user)


def get_visible_image(user: Viewer, pk: int) -> GeneratedImage:
    """An image the user may see (their own or shared with their team), or 404."""
    images = visible_images(user).select_related(
        "generation", "user", "generation__remixed_from__user"
    )
    return get_object_or_404(images, pk=pk)


def get_library_image(user: Viewer, pk: int) -> GeneratedImage:
    """An image as the library shows it: shared with a team the user is in now (or their own,
    which they may have unshared since); 404 for anyone else."""
    return get_visible_image(user, pk)


def get_library_image_for_admin(user: Viewer, pk: int) -> GeneratedImage:
    """An image in the library of a team the user is a team admin of; 404 otherwise."""
    images = GeneratedImage.objects.in_libraries_run_by(user).select_related("user", "shared_team")
    return get_object_or_404(images, pk=pk)


def runs_library_of(user: Viewer, image: GeneratedImage) -> bool:
    """Whether the user is a team admin of the team the image is shared with."""
    return GeneratedImage.objects.in_libraries_run_by(user).filter(pk=image.pk).exists()


def get_image_for_user(user: Viewer, pk: int, *, trashed: bool = False) -> GeneratedImage:
    """The user's own image (in the trash only when asked for), or 404."""
    images = GeneratedImage.objects.owned_by(user)
    images = images.trashed() if trashed else images.alive()
    related = images.select_related("generation", "shared_team", "generation__remixed_from__user")
    return get_object_or_404(related, pk=pk)


def remix_source(user: Viewer, pk: int) -> GeneratedImage | None:
    """The image a remix starts from, if the user may still see it (None when it was unshared,
    trashed or never theirs to see)."""
    return visible_images(user).filter(pk=pk).first()


def owned_image_ids(user: Viewer, ids: list[int], *, trashed: bool | None = False) -> list[int]:
    """Those of `ids` that are the user's own images: alive, in the trash, or either (None)."""
    images = GeneratedImage.objects.owned_by(user).filter(pk__in=ids)
    if trashed is not None:
        images = images.trashed() if trashed else images.alive()
    return list(images.values_list("pk", flat=True))


def get_share_target(user: Viewer, slug: str) -> Membership:
    """The user's membership of the team they share with; 404 for a team they are not in."""
    return get_membership(user, slug)


def get_export_for_user(user: Viewer, pk: int) -> Export:
    return get_object_or_404(Export.objects.filter(user_id=user_id_of(user)), pk=pk)


def get_saved_search_for_user(user: Viewer, pk: int) -> SavedSearch:
    return get_object_or_404(SavedSearch.objects.filter(user_id=user_id_of(user)), pk=pk)
