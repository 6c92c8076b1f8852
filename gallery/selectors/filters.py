"""What a gallery page asks for: its filters, where it starts (the cursor) and whose images
(the scope), and how they narrow a query."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .. import search
from ..models import SEARCH_CONFIG, Favorite, Generation
from .access import Viewer, user_id_of


@dataclass(frozen=True)
class GalleryFilters:
    q: str = ""
    model: str = ""
    size: str = ""
    quality: str = ""
    style: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    favorites: bool = False
    sort: str = "newest"

    @property
    def lists_generations(self) -> bool:
        """Unfinished and failed generations have no images: they are listed as generations."""
        return self.status not in ("", Generation.Status.SUCCEEDED)


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort key of the last row shown."""

    sort: str
    key: str
    pk: int

    def encode(self) -> str:
        raw = f"{self.sort}|{self.key}|{self.pk}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        """None for anything malformed: a bad cursor shows the first page, never an error."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            sort, key, pk = raw.split("|")
            cursor = cls(sort, key, int(pk))
            cursor.value()
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None
        return cursor

    def value(self) -> datetime:
        moment = parse_datetime(self.key.split("~")[-1])
        if moment is None:
            raise ValueError("not a time")
        if self.sort == "relevance":
            self.tier()
        return moment

    def tier(self) -> int:
        """Relevance cursors also say which tier (prompt match or not) the page stopped in."""
        tier = int(self.key.split("~")[0])
        if tier not in (0, 1):
            raise ValueError("not a tier")
        return tier


@dataclass(frozen=True)
class Scope:
    """Which images a page lists: one user's own, or those shared with a team."""

    condition: Q
    # The column that tells the scope's rows apart, and its value.
    column: str
    key: int
    # Whether its images are of several people, so that a card says whose it is.
    shows_owner: bool = False

    @classmethod
    def own(cls, user: Viewer) -> Scope:
        user_id = user_id_of(user)
        return cls(Q(user_id=user_id, deleted_at__isnull=True), "user_id", user_id)

    @classmethod
    def library(cls, team_id: int) -> Scope:
        condition = Q(shared_team_id=team_id, deleted_at__isnull=True)
        return cls(condition, "shared_team_id", team_id, shows_owner=True)


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def apply_filters(images: QuerySet[Any], filters: GalleryFilters, viewer_id: int) -> Any:
    for name in search.FILTER_COLUMNS:
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


# What a card and the page's cursor read of an image.


ORDERINGS = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
}
