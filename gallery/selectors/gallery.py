"""The gallery's pages of images: a user's own, a team's library, and the trash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Value

from .. import highlight, search
from ..models import Favorite, GeneratedImage, SavedSearch
from ..values import ORDERINGS, WORD, Cursor, GalleryFilters, Scope, user_id_of
from .access import Viewer
from .filters import after_cursor, apply_filters, search_query


@dataclass
class GalleryPage:
    images: list[GeneratedImage]
    next_cursor: str | None
    corrected_query: str = ""
    favorite_ids: set[int] = field(default_factory=set)
    # The search's lexemes, to mark the words they match on the cards.
    marks: frozenset[str] = frozenset()


CARD_FIELDS = (
    "created_at", "revised_prompt", "shared_team_id", "hidden_at", "thumb_width", "thumb_height",
)  # fmt: skip


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
    base = GeneratedImage.objects.in_scope(scope)
    query = search_query(filters.q) if filters.q else None
    ordering = ORDERINGS[sort]
    narrowing = filters.narrows or narrow is not None

    def finish(
        images: Any, *, walk: bool, limit: int, walked: QuerySet[GeneratedImage] | None = None
    ) -> list[GeneratedImage]:
        images = apply_filters(images, filters, viewer_id)
        if query is not None:
            images = images.filter(
                search.matches_by_walking(query, filters) if walk else Q(search_vector=query)
            )
        if narrow is not None:
            images = narrow(images)
        images = after_cursor(images, cursor, sort).order_by(*ordering)
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
    ahead = after_cursor(base, cursor, sort).order_by(*ordering)
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
        far_rows = after_cursor(base, found, sort)
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
    query = search_query(filters.q)
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
    viewer_id = user_id_of(viewer)
    size = settings.GALLERY_PAGE_SIZE
    rows, tsquery = _page_rows(scope, filters, cursor, viewer_id, size)
    corrected = ""
    if not rows and filters.q and cursor is None:
        corrected = corrected_query(viewer_id, filters.q)
        if corrected:
            filters = replace(filters, q=corrected)
            rows, tsquery = _page_rows(scope, filters, None, viewer_id, size)
    has_next = len(rows) > size
    rows = rows[:size]
    favorite_ids = {row.pk for row in rows if getattr(row, "is_favorite", False)}
    return GalleryPage(
        images=rows,
        next_cursor=_cursor_for(rows[-1], _sort_of(filters)) if has_next else None,
        corrected_query=corrected,
        favorite_ids=favorite_ids,
        marks=highlight.query_lexemes(tsquery),
    )


def image_neighbors(
    viewer: Viewer, image: GeneratedImage, filters: GalleryFilters
) -> tuple[int | None, int | None]:
    """The images just newer and just older than this one in the gallery's filtered order."""
    scope, viewer_id, key = Scope.own(viewer), user_id_of(viewer), image.created_at.isoformat()
    rows = []
    for sort in ("oldest", "newest"):
        ordered = replace(filters, sort=sort)
        found, _ = _page_rows(
            scope, ordered, Cursor(sort, key, image.pk), viewer_id, 0, walk_first=False
        )
        rows.append(found[0].pk if found else None)
    return rows[0], rows[1]


def trash_page(user: Viewer, cursor: Cursor | None = None) -> GalleryPage:
    size = settings.GALLERY_PAGE_SIZE
    images = GeneratedImage.objects.owned_by(user).trashed()
    if cursor is not None and cursor.sort == "trash":
        images = images.trashed_before(cursor.value(), cursor.pk)
    rows = list(images.select_related("generation").order_by("-deleted_at", "-pk")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        assert last.deleted_at is not None
        next_cursor = Cursor("trash", last.deleted_at.isoformat(), last.pk).encode()
    return GalleryPage(rows[:size], next_cursor)


def saved_searches(user: Viewer) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user_id=user_id_of(user))


def filtered_images(viewer_id: int, scope: Scope, filters: GalleryFilters) -> Any:
    """Every image a gallery search matches, unpaged (for exports)."""
    images = apply_filters(GeneratedImage.objects.in_scope(scope), filters, viewer_id)
    if filters.q:
        images = images.filter(search_vector=search_query(filters.q))
    return images
