"""Reads: every query a view or task needs."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import (
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import highlight, search
from .models import (
    SEARCH_CONFIG,
    Export,
    Favorite,
    GeneratedImage,
    Generation,
    SavedSearch,
)

Viewer = AbstractBaseUser | AnonymousUser

WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


def _user_id(user: Viewer) -> int:
    if user.pk is None:
        raise Http404("Log in to see this.")
    return int(user.pk)


def get_generation_for_user(user: Viewer, pk: int) -> Generation:
    """The user's own generation, or 404: someone else's is indistinguishable from none."""
    return get_object_or_404(Generation, pk=pk, user_id=_user_id(user))


def visible_images(user: Viewer) -> QuerySet[GeneratedImage]:
    """Images the user may look at: their own, and those shared with a team they are in now."""
    from accounts.models import Membership

    teams = Membership.objects.filter(user_id=_user_id(user)).values("team_id")
    return GeneratedImage.objects.filter(
        Q(user_id=_user_id(user)) | Q(shared_team_id__in=teams), deleted_at__isnull=True
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
        user_id=_user_id(user),
        deleted_at__isnull=not trashed,
    )


# -- the gallery query --------------------------------------------------------------------------


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


@dataclass
class GalleryPage:
    images: list[GeneratedImage]
    next_cursor: str | None
    filters: GalleryFilters
    corrected_query: str = ""
    favorite_ids: set[int] = field(default_factory=set)
    # The search's lexemes, to mark the words they match on the cards.
    marks: frozenset[str] = frozenset()


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
        user_id = _user_id(user)
        return cls(Q(user_id=user_id, deleted_at__isnull=True), "user_id", user_id)

    @classmethod
    def library(cls, team_id: int) -> Scope:
        condition = Q(shared_team_id=team_id, deleted_at__isnull=True)
        return cls(condition, "shared_team_id", team_id, shows_owner=True)


def _search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _apply_filters(images: QuerySet[Any], filters: GalleryFilters, viewer_id: int) -> Any:
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


def _after_cursor(images: Any, cursor: Cursor | None, sort: str) -> Any:
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
CARD_FIELDS = ("created_at", "revised_prompt", "shared_team_id", "thumb_width", "thumb_height")


def with_card_fields(
    images: QuerySet[GeneratedImage], *, owner: bool = False
) -> QuerySet[GeneratedImage]:
    """Only what a card shows, with its generation's (and, for cards of others' images, its
    owner's) parts as plain columns: building three model instances for each of 48 rows cost
    more than the query itself."""
    images = images.only(*CARD_FIELDS).annotate(
        card_prompt=F("generation__prompt"), card_remixed=F("generation__remixed_from_id")
    )
    return images.annotate(card_owner=F("user__username")) if owner else images


ORDERINGS = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
}


def _sort_of(filters: GalleryFilters) -> str:
    if filters.q and filters.sort == "relevance":
        return "relevance"
    return "oldest" if filters.sort == "oldest" else "newest"


def _cursor_for(image: GeneratedImage, sort: str) -> str:
    key = image.created_at.isoformat()
    if sort == "relevance":
        key = f"{getattr(image, 'tier', 0)}~{key}"
    return Cursor(sort, key, image.pk).encode()


def _page_rows(
    scope: Scope,
    filters: GalleryFilters,
    cursor: Cursor | None,
    viewer_id: int,
    size: int,
    *,
    walk_first: bool = True,
) -> tuple[list[GeneratedImage], str | None]:
    """One page (size + 1 rows, to tell whether another follows) in the filters' order, and the
    search's tsquery as PostgreSQL prints it (None when it was not asked for)."""
    if filters.q and filters.sort == "relevance":
        return _relevance_rows(scope, filters, cursor, viewer_id, size)
    return _ordered_rows(scope, filters, cursor, viewer_id, size, walk_first=walk_first)


def _ordered_rows(
    scope: Scope,
    filters: GalleryFilters,
    cursor: Cursor | None,
    viewer_id: int,
    size: int,
    *,
    walk_first: bool = True,
    narrow: Callable[[Any], Any] | None = None,
) -> tuple[list[GeneratedImage], str | None]:
    """Newest or oldest first, and the search's tsquery.

    A search or filter walks the next rows in order first, as many as the statistics say a page
    needs (see gallery.search), and asks the full-text index for the older rows only when that
    run held too few matches; a query the statistics call rare asks the index at once. So
    neither a common nor a rare word costs more than a bounded amount, for a user with a
    hundred images or a hundred thousand.
    """
    sort = "oldest" if filters.sort == "oldest" else "newest"
    base = GeneratedImage.objects.filter(scope.condition)
    query = _search_query(filters.q) if filters.q else None
    ordering = ORDERINGS[sort]
    narrowing = bool(
        query is not None or narrow or filters.favorites or filters.model or filters.size
        or filters.quality or filters.style or filters.date_from or filters.date_to
    )  # fmt: skip

    def finish(
        images: Any, *, walk: bool, limit: int, walked: QuerySet[GeneratedImage] | None = None
    ) -> list[GeneratedImage]:
        images = _apply_filters(images, filters, viewer_id)
        if query is not None:
            images = images.filter(
                search.matches_by_walking(query, filters) if walk else Q(search_vector=query)
            )
        if narrow is not None:
            images = narrow(images)
        images = _after_cursor(images, cursor, sort).order_by(*ordering)
        if walked is not None:
            images = search.from_rows(images, walked)
        if narrowing:
            # A page of matches is found first, and only its rows are joined to what a card
            # shows: the planner cannot know how many rows a walk or the index yields.
            images = search.from_rows(GeneratedImage.objects.order_by(*ordering), images[:limit])
        starred = Favorite.objects.filter(user_id=viewer_id, image_id=OuterRef("pk"))
        images = images.annotate(is_favorite=Exists(starred))
        return list(with_card_fields(images, owner=scope.shows_owner)[:limit])

    if not narrowing or not walk_first:
        return finish(base, walk=False, limit=size + 1), None
    ahead = _after_cursor(base, cursor, sort).order_by(*ordering)
    tsquery, few = search.start(ahead, filters.q)
    if filters.q and not tsquery:
        return [], None  # only stop words: nothing can match
    if few:
        return finish(base, walk=True, limit=size + 1), tsquery
    walk = search.walk_length(tsquery, filters, size + 1, (scope.column, scope.key))
    if walk == 0:
        return finish(base, walk=False, limit=size + 1), tsquery
    near = finish(base, walk=True, limit=size + 1, walked=ahead[:walk])
    if len(near) > size:
        return near, tsquery
    # Too few matches: every walked row after the last one found is not a match, so the index
    # is asked for the matches after that one (or after the page's cursor when none was found).
    far_rows = base
    if near:
        found = Cursor(sort, near[-1].created_at.isoformat(), near[-1].pk)
        far_rows = _after_cursor(base, found, sort)
    return near + finish(far_rows, walk=False, limit=size + 1 - len(near)), tsquery


def _prompt_vector() -> Func:
    """Only the prompt's words (weight A) of the search vector."""
    return Func(
        F("search_vector"), Value("{a}"), function="ts_filter", output_field=SearchVectorField()
    )


def _relevance_rows(
    scope: Scope, filters: GalleryFilters, cursor: Cursor | None, viewer_id: int, size: int
) -> tuple[list[GeneratedImage], str | None]:
    """Relevance in two tiers: images whose prompt matches, then those matched only by the
    revised prompt; newest first within each. This is the order ts_rank gives with the
    prompt weighted above the revised prompt, at the cost of a newest-first search rather
    than of ranking every match (which grows with the matches, 40-60 ms for a common word at
    100,000 images)."""
    query = _search_query(filters.q)
    resume = cursor if cursor is not None and cursor.sort == "relevance" else None
    newest = replace(filters, sort="newest")
    rows: list[GeneratedImage] = []
    tsquery = None
    for tier in (1, 0):
        if resume is not None and tier > resume.tier():
            continue
        within = None
        if resume is not None and resume.tier() == tier:
            within = Cursor("newest", resume.value().isoformat(), resume.pk)

        def narrow(images: Any, tier: int = tier) -> Any:
            images = images.alias(prompt_vector=_prompt_vector())
            if tier:
                return images.filter(prompt_vector=query)
            return images.exclude(prompt_vector=query)

        # The second tier is reached on the first tier's last page only: one plain query.
        found, printed = _ordered_rows(
            scope, newest, within, viewer_id, size - len(rows), narrow=narrow, walk_first=tier == 1
        )
        tsquery = tsquery or printed
        for row in found:
            row.tier = tier  # type: ignore[attr-defined]
        rows += found
        if len(rows) > size:
            break
    return rows, tsquery


def corrected_query(user_id: int, text: str) -> str:
    """Each word replaced by the closest word of the user's own prompts; "" when none changed.

    One query for all the words: a word the user has used is its own closest match.
    """
    words = WORD.findall(text.lower())[:6]
    if not words:
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT typed.word, best.word
            FROM unnest(%s::text[]) WITH ORDINALITY AS typed(word, position)
            LEFT JOIN LATERAL (
                SELECT term.word FROM gallery_searchterm AS term
                WHERE term.user_id = %s AND term.word %% typed.word
                ORDER BY similarity(term.word, typed.word) DESC, term.word
                LIMIT 1
            ) AS best ON true
            ORDER BY typed.position
            """,
            [words, user_id],
        )
        pairs = cursor.fetchall()
    corrected = [best or typed for typed, best in pairs]
    return " ".join(corrected) if corrected != words else ""


def gallery_page(
    viewer: Viewer, scope: Scope, filters: GalleryFilters, cursor: Cursor | None = None
) -> GalleryPage:
    viewer_id = _user_id(viewer)
    size = settings.GALLERY_PAGE_SIZE
    rows, tsquery = _page_rows(scope, filters, cursor, viewer_id, size)
    corrected = ""
    if not rows and filters.q and cursor is None:
        corrected = corrected_query(viewer_id, filters.q)
        if corrected:
            filters = GalleryFilters(**{**filters.__dict__, "q": corrected})
            rows, tsquery = _page_rows(scope, filters, None, viewer_id, size)
    has_next = len(rows) > size
    rows = rows[:size]
    favorite_ids = {row.pk for row in rows if getattr(row, "is_favorite", False)}
    return GalleryPage(
        images=rows,
        next_cursor=_cursor_for(rows[-1], _sort_of(filters)) if has_next else None,
        filters=filters,
        corrected_query=corrected,
        favorite_ids=favorite_ids,
        marks=highlight.query_lexemes(tsquery),
    )


@dataclass
class GenerationListPage:
    generations: list[Generation]
    next_cursor: str | None


def generation_page(
    user: Viewer, filters: GalleryFilters, cursor: Cursor | None = None
) -> GenerationListPage:
    """Generations by status (failed, refused, canceled, pending), for the status filter."""
    size = settings.GALLERY_PAGE_SIZE
    generations = Generation.objects.filter(user_id=_user_id(user), status=filters.status)
    # The image grid's filters, dates included; only images have stars.
    generations = _apply_filters(generations, replace(filters, favorites=False), _user_id(user))
    if filters.q:
        generations = generations.filter(prompt__search=_search_query(filters.q))
    sort = "oldest" if filters.sort == "oldest" else "newest"
    generations = _after_cursor(generations, cursor, sort).order_by(*ORDERINGS[sort])
    rows = list(generations[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = Cursor(sort, last.created_at.isoformat(), last.pk).encode()
    return GenerationListPage(rows[:size], next_cursor)


def image_neighbors(
    viewer: Viewer, image: GeneratedImage, filters: GalleryFilters
) -> tuple[int | None, int | None]:
    """The images just newer and just older than this one in the gallery's filtered order."""
    scope, viewer_id, key = Scope.own(viewer), _user_id(viewer), image.created_at.isoformat()
    rows = []
    for sort in ("oldest", "newest"):
        ordered = replace(filters, sort=sort)
        found, _ = _page_rows(
            scope, ordered, Cursor(sort, key, image.pk), viewer_id, 0, walk_first=False
        )
        rows.append(found[0].pk if found else None)
    return rows[0], rows[1]


def recent_generations(
    user: Viewer, *, hours: int = 24
) -> tuple[list[Generation], list[Generation]]:
    """Pending generations, and those that failed or were refused in the last day (one query)."""
    since = timezone.now() - timedelta(hours=hours)
    failed = [Generation.Status.FAILED, Generation.Status.REFUSED]
    rows = list(
        Generation.objects.filter(user_id=_user_id(user))
        .filter(Q(status__in=Generation.PENDING) | Q(status__in=failed, created_at__gte=since))
        .only("status", "prompt", "n", "error_message", "created_at")
        .order_by("-created_at")[:60]
    )
    pending = [row for row in rows if row.is_pending]
    return pending, [row for row in rows if not row.is_pending][:6]


def generations_status(user: Viewer, ids: list[int]) -> QuerySet[Generation]:
    return Generation.objects.filter(user_id=_user_id(user), pk__in=ids[:100]).only(
        "id", "status", "error_message"
    )


def trash_page(user: Viewer, cursor: Cursor | None = None) -> GalleryPage:
    size = settings.GALLERY_PAGE_SIZE
    images = GeneratedImage.objects.filter(user_id=_user_id(user), deleted_at__isnull=False)
    if cursor is not None and cursor.sort == "trash":
        value = cursor.value()
        images = images.filter(deleted_at__lte=value).filter(
            Q(deleted_at__lt=value) | Q(deleted_at=value, pk__lt=cursor.pk)
        )
    rows = list(images.select_related("generation").order_by("-deleted_at", "-pk")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        assert last.deleted_at is not None
        next_cursor = Cursor("trash", last.deleted_at.isoformat(), last.pk).encode()
    return GalleryPage(rows[:size], next_cursor, GalleryFilters())


def saved_searches(user: Viewer) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user_id=_user_id(user))


def owned_image_ids(user: Viewer, ids: list[int], *, trashed: bool | None = False) -> list[int]:
    images = GeneratedImage.objects.filter(user_id=_user_id(user), pk__in=ids)
    if trashed is not None:
        images = images.filter(deleted_at__isnull=not trashed)
    return list(images.values_list("pk", flat=True))


def filtered_images(viewer: Viewer, scope: Scope, filters: GalleryFilters) -> Any:
    """Every image a gallery search matches, unpaged (for exports and bulk actions)."""
    images = _apply_filters(
        GeneratedImage.objects.filter(scope.condition), filters, _user_id(viewer)
    )
    if filters.q:
        images = images.filter(search_vector=_search_query(filters.q))
    return images


def export_image_ids(export: Export) -> list[int]:
    from .forms import GalleryFilterForm

    owned = GeneratedImage.objects.filter(user_id=export.user_id, deleted_at__isnull=True)
    if export.image_ids:
        return list(owned.filter(pk__in=export.image_ids).values_list("pk", flat=True))
    filters = GalleryFilterForm.from_query_string(export.query_string).filters()
    images = filtered_images(export.user, Scope.own(export.user), filters)
    return list(images.order_by("-created_at", "-pk").values_list("pk", flat=True))


def get_export_for_user(user: Viewer, pk: int) -> Export:
    return get_object_or_404(Export, pk=pk, user_id=_user_id(user))
