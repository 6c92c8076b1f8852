"""Reads: every query a view or task needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import GeneratedImage, Generation

Viewer = AbstractBaseUser | AnonymousUser


def _user_id(user: Viewer) -> int:
    if user.pk is None:
        raise Http404("Log in to see this.")
    return int(user.pk)


def get_generation_for_user(user: Viewer, pk: int) -> Generation:
    """The user's own generation, or 404: someone else's is indistinguishable from none."""
    return get_object_or_404(Generation, pk=pk, user_id=_user_id(user))


def get_image_for_user(user: Viewer, pk: int) -> GeneratedImage:
    return get_object_or_404(
        GeneratedImage.objects.select_related("generation"), pk=pk, user_id=_user_id(user)
    )


@dataclass
class GalleryPage:
    images: list[GeneratedImage]
    has_next: bool
    page: int
    query: str


def gallery_images(user: Viewer, *, query: str = "", page: int = 1) -> GalleryPage:
    size = settings.GALLERY_PAGE_SIZE
    if page < 1:
        raise Http404("No such page.")
    images = GeneratedImage.objects.owned_by(user)
    query = query.strip()[:200]
    if query:
        images = images.search(query)
    images = images.newest_first().select_related("generation")
    rows = list(images[(page - 1) * size : page * size + 1])
    return GalleryPage(images=rows[:size], has_next=len(rows) > size, page=page, query=query)


def pending_generations(user: Viewer) -> QuerySet[Generation]:
    pending = Generation.objects.filter(user_id=_user_id(user), status__in=Generation.PENDING)
    return pending.order_by("-created_at")


def recent_failures(user: Viewer, *, limit: int = 10) -> QuerySet[Generation]:
    return Generation.objects.filter(
        user_id=_user_id(user),
        status__in=[Generation.Status.FAILED, Generation.Status.REFUSED],
    ).order_by("-created_at")[:limit]


def generations_status(user: Viewer, ids: list[int]) -> QuerySet[Generation]:
    return Generation.objects.filter(user_id=_user_id(user), pk__in=ids[:100]).only(
        "id", "status", "error_message"
    )
