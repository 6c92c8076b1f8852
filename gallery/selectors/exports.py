"""What an export holds."""

from __future__ import annotations

from ..models import Export, GeneratedImage
from .filters import Scope
from .gallery import filtered_images


def export_image_ids(export: Export) -> list[int]:
    from ..forms import GalleryFilterForm

    owned = GeneratedImage.objects.filter(user_id=export.user_id, deleted_at__isnull=True)
    if export.image_ids:
        return list(owned.filter(pk__in=export.image_ids).values_list("pk", flat=True))
    filters = GalleryFilterForm.from_query_string(export.query_string).filters()
    images = filtered_images(export.user, Scope.own(export.user), filters)
    return list(images.order_by("-created_at", "-pk").values_list("pk", flat=True))
