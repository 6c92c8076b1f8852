"""Reads: every query a view or task needs, by what it reads."""

from .access import (
    Viewer,
    get_export_for_user,
    get_generation_for_user,
    get_image_for_user,
    get_library_image,
    get_library_image_for_admin,
    get_saved_search_for_user,
    get_share_target,
    get_visible_image,
    owned_image_ids,
    remix_source,
    runs_library_of,
    visible_images,
)
from .details import (
    GenerationDetail,
    ImageDetail,
    generation_card,
    generation_detail,
    image_detail,
    library_image_detail,
)
from .exports import export_image_ids, search_export_size, unfinished_export_count
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
from .generations import GenerationListPage, generation_page, recent_generations
from .holds import refusals_since_review, submission_hold
from .quotas import Allowance, allowances, team_allowance
from .usage import team_daily_usage, team_month_breakdown, user_daily_usage

__all__ = [
    "Allowance",
    "GalleryPage",
    "GenerationDetail",
    "GenerationListPage",
    "ImageDetail",
    "Viewer",
    "allowances",
    "corrected_query",
    "export_image_ids",
    "filtered_images",
    "gallery_page",
    "generation_card",
    "generation_detail",
    "generation_page",
    "get_export_for_user",
    "get_generation_for_user",
    "get_image_for_user",
    "get_library_image",
    "get_library_image_for_admin",
    "get_saved_search_for_user",
    "get_share_target",
    "get_visible_image",
    "image_detail",
    "image_neighbors",
    "library_image_detail",
    "owned_image_ids",
    "recent_generations",
    "refusals_since_review",
    "remix_source",
    "runs_library_of",
    "saved_searches",
    "search_export_size",
    "submission_hold",
    "team_allowance",
    "team_daily_usage",
    "team_month_breakdown",
    "user_daily_usage",
    "trash_page",
    "unfinished_export_count",
    "visible_images",
    "with_card_fields",
]
