"""What an export holds."""

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
