"""Reads: every query a view or task needs, by what it reads."""

from .access import (
    Viewer,
    get_export_for_user,
    get_generation_for_user,
    get_image_for_user,
    get_visible_image,
    owned_image_ids,
    user_id_of,
    visible_images,
)
from .exports import export_image_ids
from .filters import Cursor, GalleryFilters, Scope
from .gallery import (
    GalleryPage,
    corrected_query,
    filtered_images,
    gallery_page,
    image_neighbors,
    saved_searches,
    trash_page,
    with_card_fields,
)
from .generations import (
    GenerationListPage,
    generation_page,
    generations_status,
    recent_generations,
)

__all__ = [
    "Cursor",
    "GalleryFilters",
    "GalleryPage",
    "GenerationListPage",
    "Scope",
    "Viewer",
    "corrected_query",
    "export_image_ids",
    "filtered_images",
    "gallery_page",
    "generation_page",
    "generations_status",
    "get_export_for_user",
    "get_generation_for_user",
    "get_image_for_user",
    "get_visible_image",
    "image_neighbors",
    "owned_image_ids",
    "recent_generations",
    "saved_searches",
    "trash_page",
    "user_id_of",
    "visible_images",
    "with_card_fields",
]
