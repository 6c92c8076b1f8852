"""Generations as lists: by status (failed, pending...) and the gallery's recent ones."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Generation
from ..values import ORDERINGS, Cursor, GalleryFilters, user_id_of
from .access import Viewer
from .filters import after_cursor, apply_filters, search_query


@dataclass
class GenerationListPage:
    generations: list[Generation]
    next_cursor: str | None


def generation_page(
    user: Viewer, filters: GalleryFilters, cursor: Cursor | None = None
) -> GenerationListPage:
    """Generations by status (failed, refused, canceled, pending), for the status filter; of
    every status when none is asked for."""
    size = settings.GALLERY_PAGE_SIZE
    generations = Generation.objects.of(user)
    if filters.status:
        generations = generations.filter(status=filters.status)
    # The image grid's filters, dates included; only images have stars.
    generations = apply_filters(generations, replace(filters, favorites=False), user_id_of(user))
    if filters.q:
        generations = generations.filter(prompt__search=search_query(filters.q))
    sort = "oldest" if filters.sort == "oldest" else "newest"
    generations = after_cursor(generations, cursor, sort).order_by(*ORDERINGS[sort])
    rows = list(generations[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = Cursor(sort, last.created_at.isoformat(), last.pk).encode()
    return GenerationListPage(rows[:size], next_cursor)


def recent_generations(
    user: Viewer, *, hours: int = 24
) -> tuple[list[Generation], list[Generation]]:
    """Pending generations, and those that failed or were refused in the last day (one query)."""
    since = timezone.now() - timedelta(hours=hours)
    rows = list(
        Generation.objects.of(user)
        .unfinished_or_failed_since(since)
        .only("status", "prompt", "n", "error_message", "created_at")
        .order_by("-created_at")[:60]
    )
    pending = [row for row in rows if row.is_pending]
    return pending, [row for row in rows if not row.is_pending][:6]
