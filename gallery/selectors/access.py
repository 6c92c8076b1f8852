"""Who may read what: the ownership helpers every view that takes an id goes through."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ..models import Export, GeneratedImage, Generation

Viewer = AbstractBaseUser | AnonymousUser


def user_id_of(user: Viewer) -> int:
    if user.pk is None:
        raise Http404("Log in to see this.")
    return int(user.pk)


def get_generation_for_user(user: Viewer, pk: int) -> Generation:
    """The user's own generation, or 404: someone else's is indistinguishable from none."""
    return get_object_or_404(Generation, pk=pk, user_id=user_id_of(user))


def visible_images(user: Viewer) -> QuerySet[GeneratedImage]:
    """Images the user may look at: their own, and those shared with a team they are in now."""
    from accounts.models import Membership

    teams = Membership.objects.filter(user_id=user_id_of(user)).values("team_id")
    return GeneratedImage.objects.filter(
        Q(user_id=user_id_of(user)) | Q(shared_team_id__in=teams), deleted_at__isnull=True
    )


def get_visible_image(user: Viewer, pk: int) -> GeneratedImage:
    """An image the user may see (their own or shared with their team), or 404."""
    images = visible_images(user).select_related(
        "generation", "user", "generation__remixed_from__user"
    )
    return get_object_or_404(images, pk=pk)


def get_image_for_user(user: Viewer, pk: int, *, trashed: bool = False) -> GeneratedImage:
    """The user's own image (in the trash only when asked for), or 404."""
    return get_object_or_404(
        GeneratedImage.objects.select_related(
            "generation", "shared_team", "generation__remixed_from__user"
        ),
        pk=pk,
        user_id=user_id_of(user),
        deleted_at__isnull=not trashed,
    )


def owned_image_ids(user: Viewer, ids: list[int], *, trashed: bool | None = False) -> list[int]:
    images = GeneratedImage.objects.filter(user_id=user_id_of(user), pk__in=ids)
    if trashed is not None:
        images = images.filter(deleted_at__isnull=not trashed)
    return list(images.values_list("pk", flat=True))


def get_export_for_user(user: Viewer, pk: int) -> Export:
    return get_object_or_404(Export, pk=pk, user_id=user_id_of(user))
