"""The gallery's reads: search ranking, misspellings, filters, sorts and keyset pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from gallery import selectors
from gallery.highlight import marked
from gallery.models import GeneratedImage
from gallery.values import Cursor, GalleryFilters, Scope
from tests.factories import (
    FavoriteFactory,
    GeneratedImageFactory,
    GenerationFactory,
    UserFactory,
)
from tests.gallery_pages import every_page

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]


@pytest.fixture
def owner():  # type: ignore[no-untyped-def]
    return UserFactory(username="owner")


def make_image(user, prompt: str, revised: str = "", **generation) -> GeneratedImage:  # type: ignore[no-untyped-def]
    return GeneratedImageFactory(
        generation=GenerationFactory(user=user, prompt=prompt, **generation),
        revised_prompt=revised,
    )


def shown(user, **filters) -> list[int]:  # type: ignore[no-untyped-def]
    """The ids on the first gallery page for these filters."""
    page = selectors.gallery_page(user, Scope.own(user), GalleryFilters(**filters))
    return [image.pk for image in page.images]


# -- search --------------------------------------------------------------------------------------


def test_a_match_in_the_prompt_ranks_above_a_match_in_the_revised_prompt(owner) -> None:
    in_prompt = make_image(owner, "a harbour at night", revised="boats and lanterns")
    in_revised = make_image(owner, "boats on a lake", revised="a quiet harbour with boats")

    # Newest first, the revised-prompt match comes first; by relevance, the prompt match does.
    assert shown(owner, q="harbour", sort="newest") == [in_revised.pk, in_prompt.pk]
    assert shown(owner, q="harbour", sort="relevance") == [in_prompt.pk, in_revised.pk]


def test_search_marks_the_matched_words_of_prompt_and_revised_prompt(owner) -> None:
    make_image(owner, "a red lighthouse on a cliff", revised="lighthouses at dawn, red sky")
    page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(q="lighthouse"))
    assert page.marks == {"lighthous"}
    image = page.images[0]
    prompt = image.card_prompt  # type: ignore[attr-defined]
    assert marked(prompt, page.marks) == "a red <mark>lighthouse</mark> on a cliff"
    assert marked(image.revised_prompt, page.marks) == "<mark>lighthouses</mark> at dawn, red sky"


def test_a_page_without_words_to_search_marks_none(owner) -> None:
    make_image(owner, "a red lighthouse")
    for filters in (GalleryFilters(), GalleryFilters(q="the"), GalleryFilters(style="vivid")):
        assert selectors.gallery_page(owner, Scope.own(owner), filters).marks == frozenset()


def test_a_misspelt_word_finds_the_word_of_the_users_prompts(owner) -> None:
    lighthouse = make_image(owner, "a lighthouse in a storm")
    make_image(owner, "a violin in the rain")
    page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(q="lighthuose"))
    assert page.corrected_query == "lighthouse"
    assert [image.pk for image in page.images] == [lighthouse.pk]


def test_no_correction_when_the_words_match(owner) -> None:
    make_image(owner, "a lighthouse in a storm")
    page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(q="lighthouse"))
    assert page.corrected_query == ""
    assert len(page.images) == 1


def test_corrections_come_only_from_the_users_own_words(owner) -> None:
    make_image(UserFactory(username="outsider"), "a lighthouse in a storm")
    page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(q="lighthuose"))
    assert page.corrected_query == ""
    assert page.images == []


HOSTILE = [
    '"',
    "'",
    '"unclosed phrase',
    "&|!():*",
    "a & b | !c",
    "<-> <2> !!",
    "'); drop table gallery_generatedimage; --",
    "lighthouse:*",
    "-lighthouse",
    "or or or",
    "\\",
    "%_%",
    "x" * 200,
    "灯台 🚨 café Ωmega",
    "ﷺ \u202e reversed",
    "\ue000lighthouse\ue001",
]


@pytest.mark.parametrize("query", HOSTILE)
@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_hostile_queries_never_error(owner, query: str, sort: str) -> None:
    make_image(owner, "a lighthouse in a storm", revised="waves & spray")
    page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(q=query, sort=sort))
    assert isinstance(page.images, list)


# -- filters -------------------------------------------------------------------------------------


@pytest.fixture
def varied(owner):  # type: ignore[no-untyped-def]
    """Four images that differ in every filterable field."""
    images = {
        "turbo": make_image(
            owner, "a lighthouse", model="meetkai:z-image-turbo", size="256x256",
            quality="standard", style="vivid",
        ),
        "klein": make_image(
            owner, "a lighthouse at night", model="meetkai:flux-2-klein", size="512x512",
            quality="hd", style="natural",
        ),
        "big": make_image(
            owner, "a violin", model="meetkai:flux-2-klein", size="1024x1024", quality="hd",
            style="vivid",
        ),
        "old": make_image(
            owner, "an old lighthouse", model="meetkai:z-image-turbo", size="512x512",
            quality="standard", style="natural",
        ),
    }  # fmt: skip
    moment = datetime(2025, 3, 10, 12, tzinfo=timezone.get_current_timezone())
    for days, name in enumerate(["turbo", "klein", "big", "old"]):
        GeneratedImage.objects.filter(pk=images[name].pk).update(
            created_at=moment - timedelta(days=10 * days)
        )
    return {name: image.pk for name, image in images.items()}


def test_each_filter_narrows_the_gallery(owner, varied) -> None:
    assert shown(owner, model="meetkai:flux-2-klein") == [varied["klein"], varied["big"]]
    assert shown(owner, size="512x512") == [varied["klein"], varied["old"]]
    assert shown(owner, quality="hd") == [varied["klein"], varied["big"]]
    assert shown(owner, style="natural") == [varied["klein"], varied["old"]]
    # 2025-03-10, 02-28, 02-18, 02-08: both ends of a date range are whole days, inclusive.
    assert shown(owner, date_from=date(2025, 2, 18)) == [
        varied["turbo"], varied["klein"], varied["big"],
    ]  # fmt: skip
    assert shown(owner, date_to=date(2025, 2, 18)) == [varied["big"], varied["old"]]
    assert shown(owner, date_from=date(2025, 2, 18), date_to=date(2025, 2, 28)) == [
        varied["klein"], varied["big"],
    ]  # fmt: skip


def test_favorites_only_shows_the_starred_images(owner, varied) -> None:
    FavoriteFactory(user=owner, image_id=varied["big"])
    FavoriteFactory(user=owner, image_id=varied["old"])
    assert shown(owner, favorites=True) == [varied["big"], varied["old"]]


def test_another_users_star_does_not_count(owner, varied) -> None:
    outsider = UserFactory(username="outsider")
    FavoriteFactory(user=outsider, image_id=varied["big"])
    assert shown(owner, favorites=True) == []


def test_filters_combine_with_each_other_and_with_search(owner, varied) -> None:
    FavoriteFactory(user=owner, image_id=varied["klein"])
    FavoriteFactory(user=owner, image_id=varied["big"])
    assert shown(owner, q="lighthouse", sort="newest") == [
        varied["turbo"], varied["klein"], varied["old"],
    ]  # fmt: skip
    assert shown(owner, q="lighthouse", size="512x512", sort="newest") == [
        varied["klein"], varied["old"],
    ]  # fmt: skip
    assert shown(owner, q="lighthouse", size="512x512", quality="hd") == [varied["klein"]]
    assert shown(owner, q="lighthouse", favorites=True) == [varied["klein"]]
    assert shown(owner, q="violin", model="meetkai:z-image-turbo") == []
    assert shown(owner, q="lighthouse", date_to=date(2025, 2, 18)) == [varied["old"]]


def test_sort_newest_and_oldest(owner, varied) -> None:
    newest_first = [varied["turbo"], varied["klein"], varied["big"], varied["old"]]
    assert shown(owner, sort="newest") == newest_first
    assert shown(owner, sort="oldest") == newest_first[::-1]


def test_relevance_without_words_is_newest_first(owner, varied) -> None:
    assert shown(owner, sort="relevance") == shown(owner, sort="newest")


def test_trashed_and_other_users_images_are_never_listed(owner, varied) -> None:
    GeneratedImage.objects.filter(pk=varied["big"]).update(deleted_at=timezone.now())
    make_image(UserFactory(username="outsider"), "a lighthouse")
    assert varied["big"] not in shown(owner)
    assert len(shown(owner)) == 3
    assert len(shown(owner, q="lighthouse")) == 3


# -- keyset pages --------------------------------------------------------------------------------


@pytest.fixture
def many(owner, settings):  # type: ignore[no-untyped-def]
    """23 images, 12 of them created at the very same instant, on pages of 5."""
    settings.GALLERY_PAGE_SIZE = 5
    images = [
        make_image(owner, f"a lighthouse number {number}", revised=f"tower {number}")
        for number in range(23)
    ]
    same = timezone.now() - timedelta(hours=1)
    GeneratedImage.objects.filter(pk__in=[image.pk for image in images[4:16]]).update(
        created_at=same
    )
    return GeneratedImage.objects.filter(user=owner)


def test_newest_pages_visit_every_image_once_in_order(owner, many) -> None:
    expected = list(many.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert every_page(owner, GalleryFilters(sort="newest")) == expected


def test_oldest_pages_visit_every_image_once_in_order(owner, many) -> None:
    expected = list(many.order_by("created_at", "pk").values_list("pk", flat=True))
    assert every_page(owner, GalleryFilters(sort="oldest")) == expected


def test_search_pages_visit_every_match_once_in_order(owner, many) -> None:
    expected = list(many.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert every_page(owner, GalleryFilters(q="lighthouse", sort="newest")) == expected
    filtered = every_page(owner, GalleryFilters(q="lighthouse", size="256x256", sort="oldest"))
    assert filtered == expected[::-1]


def test_relevance_pages_visit_every_match_once_even_when_ranks_tie(owner, many) -> None:
    # Every image matches "lighthouse" in its prompt: one tier, newest first, ids settle ties.
    seen = every_page(owner, GalleryFilters(q="lighthouse", sort="relevance"))
    assert seen == list(many.order_by("-created_at", "-pk").values_list("pk", flat=True))


def test_relevance_pages_keep_the_rank_order(owner, many) -> None:
    weak = list(many.order_by("-created_at", "-pk").values_list("pk", flat=True))
    strong = make_image(owner, "tower tower tower", revised="tower")
    # Only the strong one holds the word in its prompt (weight A): it comes first, then the
    # images matched by their revised prompt alone, newest first.
    assert every_page(owner, GalleryFilters(q="tower", sort="relevance")) == [strong.pk, *weak]


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "!!!",
        "",
        Cursor("newest", "not a time", 1).encode(),
        Cursor("relevance", "high", 1).encode(),
        Cursor("newest", "0000-01-01T00:00:00", 1).encode(),
        "bmV3ZXN0fHh8eA",  # newest|x|x
        "/w",  # not UTF-8
    ],
)
def test_malformed_cursors_decode_to_nothing(token: str) -> None:
    assert Cursor.decode(token) is None


def test_a_cursor_of_another_sort_starts_at_the_first_page(owner, many) -> None:
    first = shown(owner, sort="newest")
    cursor = Cursor("oldest", timezone.now().isoformat(), 1)
    page = selectors.gallery_page(owner, Scope.own(owner), GalleryFilters(sort="newest"), cursor)
    assert [image.pk for image in page.images] == first


# -- neighbours on an image's page ---------------------------------------------------------------


def test_neighbors_follow_the_newest_first_order_and_the_search(owner, many) -> None:
    order = list(many.order_by("-created_at", "-pk"))
    middle = order[6]  # one of the images sharing a timestamp
    newer, older = selectors.image_neighbors(owner, middle, GalleryFilters())
    assert (newer, older) == (order[5].pk, order[7].pk)
    assert selectors.image_neighbors(owner, order[0], GalleryFilters())[0] is None
    assert selectors.image_neighbors(owner, order[-1], GalleryFilters())[1] is None

    violin = make_image(owner, "a violin")
    newer, older = selectors.image_neighbors(owner, violin, GalleryFilters(q="violin"))
    assert (newer, older) == (None, None)
    newer, older = selectors.image_neighbors(owner, order[0], GalleryFilters(q="lighthouse"))
    assert (newer, older) == (None, order[1].pk)
