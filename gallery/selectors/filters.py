"""How a gallery page's filters and cursor narrow a query."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import SEARCH_CONFIG, Favorite
from ..values import IMAGE_FILTER_FIELDS, Cursor, GalleryFilters


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def apply_filters(images: QuerySet[Any], filters: GalleryFilters, viewer_id: int) -> Any:
    for name in IMAGE_FILTER_FIELDS:
        value = getattr(filters, name)
        if value:
            images = images.filter(**{name: value})
    zone = timezone.get_current_timezone()
    if filters.date_from:
        images = images.filter(created_at__gte=datetime.combine(filters.date_from, time(), zone))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), zone)
        images = images.filter(created_at__lt=end)
    if filters.favorites:
        images = images.filter(
            Exists(Favorite.objects.filter(user_id=viewer_id, image_id=OuterRef("pk")))
        )
    return images


def after_cursor(images: Any, cursor: Cursor | None, sort: str) -> Any:
    if cursor is None or cursor.sort != sort:
        return images
    value = cursor.value()
    if sort == "oldest":
        # The plain bound lets the index start at the cursor; the OR settles ties.
        return images.filter(created_at__gte=value).filter(
            Q(created_at__gt=value) | Q(created_at=value, pk__gt=cursor.pk)
        )
    return images.filter(created_at__lte=value).filter(
        Q(created_at__lt=value) | Q(created_at=value, pk__lt=cursor.pk)
    )
