"""What an export holds, and what limits a new one."""

from __future__ import annotations

from ..models import Export, GeneratedImage
from ..values import GalleryFilters, Scope
from .gallery import filtered_images


def export_image_ids(export: Export) -> list[int]:
    """The ids chosen (those still alive and the owner's), or every image its filters match."""
    if export.image_ids:
        owned = GeneratedImage.objects.owned_by(export.user_id).alive()
        return list(owned.filter(pk__in=export.image_ids).values_list("pk", flat=True))
    filters = GalleryFilters.from_json(export.filters)
    images = filtered_images(export.user_id, Scope("user_id", export.user_id), filters)
    return list(images.order_by("-created_at", "-pk").values_list("pk", flat=True))


def search_export_size(user_id: int, filters: GalleryFilters, *, at_most: int) -> int:
    """How many images an export of this search would hold, counted no further than at_most
    (so that a search of a huge gallery costs no more than the limit it is checked against)."""
    images = filtered_images(user_id, Scope("user_id", user_id), filters)
    return int(images.order_by()[:at_most].count())


def unfinished_export_count(user_id: int) -> int:
    """The user's exports queued or being built."""
    return Export.objects.of(user_id).unfinished().count()
