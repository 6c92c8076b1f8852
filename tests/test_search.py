"""How a search finds its page: a bounded walk of the newest rows, or the full-text index at
once, chosen from PostgreSQL's statistics; every way finds the same rows in the same order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import seed
from gallery import search, selectors
from gallery.models import GeneratedImage
from gallery.search import Column, Frequencies
from gallery.values import GalleryFilters, Scope
from tests.factories import (
    FavoriteFactory,
    GeneratedImageFactory,
    GenerationFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)
from tests.gallery_pages import every_page

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]

STATS = Frequencies(
    rows=1_000_000,
    lexemes={"cat": 0.3, "castl": 0.05, "tower": 0.02, "river": 0.01},
    columns={
        "user_id": Column({"1": 0.1}, 0.0001),
        "shared_team_id": Column({}, 0.00001),
        "style": Column({"vivid": 0.5, "natural": 0.5}, 0.0),
        "size": Column({"1024x1024": 0.2, "256x256": 0.2}, 0.2),
    },
)
BIG = ("user_id", 1)  # 100,000 rows by STATS
SMALL = ("user_id", 7)  # 100 rows


@pytest.fixture
def stats(monkeypatch: pytest.MonkeyPatch) -> Frequencies:
    monkeypatch.setattr(search, "frequencies", lambda: STATS)
    return STATS


# -- the estimate ---------------------------------------------------------------------------------


def test_words_joined_by_and_multiply_their_shares(stats) -> None:  # type: ignore[no-untyped-def]
    assert search.query_share("'castl' & 'tower'", stats) == pytest.approx(0.05 * 0.02)
    assert search.query_share("'castl' <-> 'tower' & 'cat'", stats) == pytest.approx(0.0003)


def test_words_joined_by_or_add_up(stats) -> None:  # type: ignore[no-untyped-def]
    assert search.query_share("'cat' | 'castl'", stats) == pytest.approx(1 - 0.7 * 0.95)


def test_a_word_outside_the_statistics_is_rarer_than_the_rarest_known(stats) -> None:  # type: ignore[no-untyped-def]
    assert search.query_share("'unheard'", stats) == pytest.approx(0.005)
    assert search.query_share("'it''s'", stats) == pytest.approx(0.005)


@pytest.mark.parametrize("tsquery", ["", "!'cat'", "'cat' & !'tower'", "'cat' & ( 'a' | 'b' )"])
def test_queries_the_estimate_cannot_tell(stats, tsquery: str) -> None:  # type: ignore[no-untyped-def]
    assert search.query_share(tsquery, stats) is None
    assert search.walk_length(tsquery, GalleryFilters(q="x"), 49, BIG) == search.DEFAULT_WALK


def test_a_common_word_walks_and_a_rare_combination_asks_the_index(stats) -> None:  # type: ignore[no-untyped-def]
    assert search.walk_length("'cat'", GalleryFilters(q="cat"), 49, BIG) == search.DEFAULT_WALK
    # 0.05 * 0.02 * 0.01 of 100,000 rows: ten matches, which the index hands over at once.
    three = "'castl' & 'tower' & 'river'"
    assert search.walk_length(three, GalleryFilters(q="x"), 49, BIG) == 0


def test_filters_lengthen_the_walk_until_the_index_is_cheaper(stats) -> None:  # type: ignore[no-untyped-def]
    filtered = GalleryFilters(q="cat", style="natural", size="1024x1024")
    # A page needs 49 / (0.3 * 0.5 * 0.2) = 1,633 rows: walk twice as many.
    assert search.walk_length("'cat'", filtered, 49, BIG) == 3266
    # "river" matches 1,000 of the scope's rows; the walk would read 49,000 to fill a page.
    assert search.walk_length("'river'", filtered, 49, BIG) == 0


def test_the_walk_never_exceeds_its_cap(stats) -> None:  # type: ignore[no-untyped-def]
    filtered = GalleryFilters(q="cat", style="natural", size="1024x1024")
    # 400 / 0.03 = 13,333 rows to walk, against the index's 30,000 rows listed for the word.
    assert search.walk_length("'cat'", filtered, 400, BIG) == search.MAX_WALK


def test_the_index_takes_the_filters_into_account(stats) -> None:  # type: ignore[no-untyped-def]
    filtered = GalleryFilters(q="castle", style="natural", size="1024x1024")
    # 60 / 0.005 = 12,000 rows to walk, against the index's 5,000 rows listed for the word and
    # 500 that pass the filters too.
    assert search.walk_length("'castl'", filtered, 60, BIG) == 0


def test_what_the_statistics_do_not_cover_walks_the_default(stats) -> None:  # type: ignore[no-untyped-def]
    for filters in (
        GalleryFilters(q="x", favorites=True),
        GalleryFilters(q="x", date_from=timezone.now().date()),
        GalleryFilters(q="x", model="meetkai:z-image-turbo"),  # no statistics for the column
    ):
        assert search.walk_length("'river'", filters, 49, BIG) == search.DEFAULT_WALK


def test_without_statistics_every_search_walks_the_default(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "frequencies", lambda: None)
    assert search.walk_length("'river'", GalleryFilters(q="river"), 49, SMALL) == (
        search.DEFAULT_WALK
    )


# -- every way finds the same page ---------------------------------------------------------------


@pytest.fixture
def gallery(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """30 images on pages of 4, created in threes at one instant: every third holds "lantern",
    the two oldest "comet", every other one is "natural"; the walk's scale shrunk so that 30
    rows are a large scope."""
    settings.GALLERY_PAGE_SIZE = 4
    monkeypatch.setattr(search, "DEFAULT_WALK", 3)
    owner = UserFactory()
    start = timezone.now() - timedelta(days=1)
    for number in range(30):
        words = ["a harbour"]
        if number % 3 == 0:
            words.append("lantern")
        if number < 2:
            words.append("comet")
        image = GeneratedImageFactory(
            generation=GenerationFactory(
                user=owner,
                prompt=" ".join(words) + f" {number}",
                style="natural" if number % 2 else "vivid",
            ),
            revised_prompt="",
        )
        # In threes at one instant, as the images of one generation are.
        moment = start + timedelta(minutes=number // 3)
        GeneratedImage.objects.filter(pk=image.pk).update(created_at=moment)
    return owner


def expected(owner, word: str, sort: str) -> list[int]:  # type: ignore[no-untyped-def]
    ordering = ("-created_at", "-pk") if sort == "newest" else ("created_at", "pk")
    images = GeneratedImage.objects.filter(user=owner, generation__prompt__contains=word)
    return list(images.order_by(*ordering).values_list("pk", flat=True))


@pytest.mark.parametrize("walk", [0, 3, 5, 8, 100])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("word", ["lantern", "comet", "harbour"])
def test_every_walk_length_finds_every_match_once_in_order(  # type: ignore[no-untyped-def]
    gallery, monkeypatch, walk: int, sort: str, word: str
) -> None:
    monkeypatch.setattr(search, "walk_length", lambda *args: walk)
    assert every_page(gallery, GalleryFilters(q=word, sort=sort)) == expected(gallery, word, sort)


@pytest.mark.parametrize("walk", [0, 3, 7, 100])
def test_a_filtered_walk_finds_every_filtered_match_once(gallery, monkeypatch, walk: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "walk_length", lambda *args: walk)
    found = every_page(gallery, GalleryFilters(q="lantern", style="natural"))
    wanted = GeneratedImage.objects.filter(style="natural", generation__prompt__contains="lantern")
    assert found == list(wanted.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert len(found) == 5


@pytest.mark.parametrize("walk", [0, 3, 7, 100])
def test_relevance_and_favorites_find_the_same_rows_whatever_the_walk(  # type: ignore[no-untyped-def]
    gallery, monkeypatch, walk: int
) -> None:
    starred = GeneratedImage.objects.filter(generation__prompt__contains="lantern")[::2]
    for image in starred:
        FavoriteFactory(user=gallery, image=image)
    searches = [
        GalleryFilters(q="lantern", sort="relevance"),
        GalleryFilters(q="harbour", favorites=True),
    ]
    monkeypatch.setattr(search, "DEFAULT_WALK", 1000)  # the scope is small: walked whole
    wanted = [every_page(gallery, filters) for filters in searches]
    monkeypatch.setattr(search, "DEFAULT_WALK", 3)
    monkeypatch.setattr(search, "walk_length", lambda *args: walk)
    assert [every_page(gallery, filters) for filters in searches] == wanted
    assert len(wanted[0]) == 10 and len(wanted[1]) == len(starred)


@pytest.mark.parametrize("walk", [0, 3, 7, 100])
def test_filters_without_words_find_every_row_once(gallery, monkeypatch, walk: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "walk_length", lambda *args: walk)
    found = every_page(gallery, GalleryFilters(style="natural", sort="oldest"))
    wanted = GeneratedImage.objects.filter(user=gallery, style="natural")
    assert found == list(wanted.order_by("created_at", "pk").values_list("pk", flat=True))


@pytest.mark.parametrize("walk", [0, 4, 100])
def test_a_team_library_is_walked_like_a_gallery(gallery, monkeypatch, walk: int) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory()
    MembershipFactory(team=team, user=gallery)
    GeneratedImage.objects.filter(user=gallery).update(shared_team=team, shared_at=timezone.now())
    monkeypatch.setattr(search, "walk_length", lambda *args: walk)
    seen = every_page(gallery, GalleryFilters(q="lantern"), Scope.library(team.pk))
    assert seen == expected(gallery, "lantern", "newest")


def test_a_query_of_stop_words_finds_nothing_at_once(gallery) -> None:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        page = selectors.gallery_page(gallery, Scope.own(gallery), GalleryFilters(q="the and"))
    assert page.images == []
    assert len(queries) <= 2  # the lexemes, and the look for a misspelling


def test_a_search_the_index_answers_costs_two_queries(gallery, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "walk_length", lambda *args: 0)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.gallery_page(gallery, Scope.own(gallery), GalleryFilters(q="comet"))
    assert len(page.images) == 2
    assert len(queries) == 2  # the query's lexemes, then the page


def test_a_walk_that_fills_the_page_costs_two_queries(gallery, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "walk_length", lambda *args: 20)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.gallery_page(gallery, Scope.own(gallery), GalleryFilters(q="lantern"))
    assert len(page.images) == 4
    assert len(queries) == 2
    assert "LIMIT 20" in queries[1]["sql"]


def test_a_walk_with_too_few_matches_asks_the_index_for_the_older_rows(
    gallery, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "walk_length", lambda *args: 5)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.gallery_page(gallery, Scope.own(gallery), GalleryFilters(q="comet"))
    # Neither comet is among the five newest rows: the lexemes, the walk, then the index.
    assert [image.pk for image in page.images] == expected(gallery, "comet", "newest")
    assert len(queries) == 3


def test_a_small_scope_is_walked_whole_in_one_query(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    owner = UserFactory()
    for number in range(2):
        GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt=f"a comet {number}"))
    monkeypatch.setattr(search, "walk_length", lambda *args: pytest.fail("not asked"))
    with CaptureQueriesContext(connection) as queries:
        page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(q="comet"))
    assert len(page.images) == 2
    assert len(queries) == 2


def test_statistics_rows_are_read_whatever_postgresql_leaves_empty() -> None:
    rows = [
        ("search_vector", 0.0, -0.5, None, None, ["cat", "dog"], [0.3, 0.1, 0.1, 0.3], 1000.0),
        # n_distinct below zero is a share of the rows; integers come as their text.
        ("user_id", 0.0, -0.01, ["7"], [0.5], None, None, 1000.0),
        ("shared_team_id", 0.9, 3.0, None, None, None, None, 1000.0),
        ("style", 0.0, 2.0, ["vivid", "natural"], [0.6, 0.4], None, None, 1000.0),
    ]
    stats = search.frequencies_from(rows)
    assert stats is not None
    assert stats.lexemes == {"cat": 0.3, "dog": 0.1}
    assert stats.columns["user_id"].share(7) == 0.5
    assert stats.columns["user_id"].share(8) == pytest.approx(0.5 / 9)
    assert stats.columns["shared_team_id"].share(1) == pytest.approx(0.1 / 3)
    assert stats.columns["style"].share("natural") == 0.4
    assert search.frequencies_from([]) is None
    # Never analyzed (no lexemes), or emptied since (reltuples -1): nothing to go by.
    assert search.frequencies_from([row[:5] + (None, None, 1000.0) for row in rows]) is None
    assert search.frequencies_from([row[:7] + (-1.0,) for row in rows]) is None


# -- the statistics themselves --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_statistics_are_read_from_postgresql_after_analyze(django_user_model) -> None:  # type: ignore[no-untyped-def]
    options = {"total": 400, "big": 300, "small": 20, "per_other_user": 40, "thumbnails": 2}
    seed.seed(**options)  # ends with VACUUM ANALYZE
    search.forget_frequencies()
    try:
        stats = search.frequencies()
        assert stats is not None
        assert stats.rows == pytest.approx(400, rel=0.1)
        big = django_user_model.objects.get(username="big")
        assert stats.columns["user_id"].share(big.pk) == pytest.approx(0.75, rel=0.1)
        assert set(stats.columns["style"].common) == {"vivid", "natural"}
        # The most common lexeme walks; three words that are never written ask the index.
        common = max(stats.lexemes, key=stats.lexemes.__getitem__)
        filters = GalleryFilters(q=common)
        assert search.walk_length(f"'{common}'", filters, 49, ("user_id", big.pk)) > 0
        absent = "'zyxa' & 'zyxb' & 'zyxc'"
        assert search.walk_length(absent, filters, 49, ("user_id", big.pk)) == 0
    finally:
        search.forget_frequencies()
