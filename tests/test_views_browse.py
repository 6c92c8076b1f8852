"""The gallery page as a user sees it: search, filters, pages, messages, saved searches, trash."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gallery.models import GeneratedImage, Generation, SavedSearch
from gallery.values import Cursor
from tests.factories import (
    GeneratedImageFactory,
    GenerationFactory,
    SavedSearchFactory,
    UserFactory,
)

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]

INDEX = reverse("gallery:index")


@pytest.fixture
def owner(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="owner")
    client.force_login(user)
    return user


def make_image(user, prompt: str, revised: str = "", **generation) -> GeneratedImage:  # type: ignore[no-untyped-def]
    return GeneratedImageFactory(
        generation=GenerationFactory(user=user, prompt=prompt, **generation),
        revised_prompt=revised,
    )


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in response.context["messages"]]


def card_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    """The image cards in the page's HTML, in order."""
    return [int(pk) for pk in re.findall(r'<li class="tile" id="image-(\d+)"', response.text)]


def next_link(response) -> str | None:  # type: ignore[no-untyped-def]
    found = re.search(r'<a href="(\?[^"]*)" rel="next">', response.text)
    return found.group(1).replace("&amp;", "&") if found else None


# -- search as shown -----------------------------------------------------------------------------


def test_matched_words_are_marked_and_everything_else_is_escaped(client, owner) -> None:
    make_image(
        owner,
        "<script>alert(1)</script> a lighthouse & <b>bold</b> sea",
        revised="the lighthouse's lamp <img src=x onerror=alert(2)>",
    )
    response = client.get(INDEX, {"q": "lighthouse"})
    assert response.status_code == 200
    html = response.text
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a <mark>lighthouse</mark> &amp; " in html
    assert "&lt;b&gt;bold&lt;/b&gt; sea" in html
    assert "the <mark>lighthouse</mark>&#x27;s lamp &lt;img src=x onerror=alert(2)&gt;" in html
    assert html.count("<mark>") == 2


def test_a_prompt_that_holds_mark_tags_cannot_inject_marks(client, owner) -> None:
    make_image(owner, "a lighthouse <mark>unbalanced", revised="</mark> lighthouse <mark> x")
    response = client.get(INDEX, {"q": "lighthouse"})
    assert "a <mark>lighthouse</mark> &lt;mark&gt;unbalanced" in response.text
    assert "&lt;/mark&gt; <mark>lighthouse</mark> &lt;mark&gt; x" in response.text
    assert response.text.count("<mark>") == response.text.count("</mark>") == 2


def test_a_misspelt_search_says_which_words_it_shows(client, owner) -> None:
    lighthouse = make_image(owner, "a lighthouse in a storm")
    make_image(owner, "a violin in the rain")
    response = client.get(INDEX, {"q": "lighthuose"})
    assert card_ids(response) == [lighthouse.pk]
    assert "showing results for “lighthouse”" in response.text
    # The card's link and the export follow the corrected words.
    assert f'href="/images/{lighthouse.pk}/?q=lighthouse"' in response.text
    assert 'name="query_string" value="q=lighthouse"' in response.text


def test_the_next_page_of_a_corrected_search_is_not_empty(client, owner, settings) -> None:
    settings.GALLERY_PAGE_SIZE = 3
    images = [make_image(owner, f"a lighthouse number {number}") for number in range(5)]
    first = client.get(INDEX, {"q": "lighthuose", "sort": "newest"})
    assert card_ids(first) == [image.pk for image in images[:-4:-1]]
    link = next_link(first)
    assert link is not None
    second = client.get(INDEX + link)
    assert card_ids(second) == [images[1].pk, images[0].pk]


@pytest.mark.parametrize(
    "query",
    ['"', "'", '"unclosed', "&|!():*", "a & b | !c", "<->", "\\", "灯台 🚨 café", "x" * 200],
)
@pytest.mark.parametrize("sort", ["newest", "relevance"])
def test_hostile_searches_show_a_page(client, owner, query: str, sort: str) -> None:
    make_image(owner, "a lighthouse in a storm")
    assert client.get(INDEX, {"q": query, "sort": sort}).status_code == 200
    assert client.get(INDEX, {"q": query, "status": "failed"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("a\x00b", "Search: Null characters are not allowed."),
        ("lighthouse " * 100, "Search: Ensure this value has at most 200 characters"),
    ],
)
def test_searches_that_cannot_run_are_dropped_with_a_message(
    client, owner, query: str, problem: str
) -> None:
    image = make_image(owner, "a lighthouse in a storm")
    response = client.get(INDEX, {"q": query})
    assert response.status_code == 200
    assert any(problem in message for message in messages_of(response))
    assert card_ids(response) == [image.pk]


# -- filters, sorts and pages as shown -----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"size": "999x1"}, "Ignored Size: Select a valid choice."),
        ({"quality": "ultra"}, "Ignored Quality: Select a valid choice."),
        ({"style": "<b>"}, "Ignored Style: Select a valid choice."),
        ({"date_from": "notadate"}, "Ignored From: Enter a valid date."),
        ({"date_to": "2025-02-30"}, "Ignored To: Enter a valid date."),
        ({"date_to": "9999-12-31"}, "Ignored To: Enter a date between"),
        ({"date_from": "0001-01-01"}, "Ignored From: Enter a date between"),
        ({"status": "bogus"}, "Ignored Status: Select a valid choice."),
        ({"sort": "bogus"}, "Ignored Sort: Select a valid choice."),
    ],
)
def test_bad_filter_values_are_ignored_with_a_message(
    client, owner, params: dict[str, str], problem: str
) -> None:
    turbo = make_image(owner, "a lighthouse", model="meetkai:z-image-turbo")
    make_image(owner, "a lighthouse", model="meetkai:flux-2-klein")
    response = client.get(INDEX, {**params, "model": "meetkai:z-image-turbo"})
    assert response.status_code == 200
    assert any(message.startswith(problem) for message in messages_of(response)), messages_of(
        response
    )
    # The good filter still applies.
    assert card_ids(response) == [turbo.pk]


def test_a_bad_filter_value_from_a_link_is_named_never_shown(client, owner) -> None:
    """A crafted link cannot make the portal display words of its choosing."""
    response = client.get(INDEX, {"sort": "Your account is locked, call 555-0100"})
    assert response.status_code == 200
    assert "Ignored Sort: Select a valid choice." in messages_of(response)
    assert not [message for message in messages_of(response) if "555-0100" in message]


def test_filters_from_the_url_narrow_the_page(client, owner) -> None:
    make_image(owner, "a lighthouse", size="256x256")
    wanted = make_image(owner, "a lighthouse", size="512x512", quality="hd")
    make_image(owner, "a violin", size="512x512", quality="hd")
    response = client.get(
        INDEX, {"q": "lighthouse", "size": "512x512", "quality": "hd", "favorites": ""}
    )
    assert card_ids(response) == [wanted.pk]
    assert messages_of(response) == []
    # The form shows what is applied.
    assert '<option value="512x512" selected>' in response.text
    assert 'value="lighthouse"' in response.text


def test_the_status_filter_lists_generations_with_their_reason(client, owner) -> None:
    make_image(owner, "a lighthouse")
    failed = GenerationFactory(
        user=owner, prompt="a failed lighthouse", status=Generation.Status.FAILED,
        error_message="The image service was down.",
    )  # fmt: skip
    GenerationFactory(user=owner, prompt="a refused lighthouse", status=Generation.Status.REFUSED)
    GenerationFactory(
        user=UserFactory(username="outsider"), prompt="theirs", status=Generation.Status.FAILED
    )
    response = client.get(INDEX, {"status": "failed"})
    assert [g.pk for g in response.context["generations"].generations] == [failed.pk]
    assert "The image service was down." in response.text
    assert card_ids(response) == []


def test_the_status_filter_combines_with_the_dates_and_the_search(client, owner) -> None:
    old = GenerationFactory(user=owner, prompt="an old lighthouse", status="failed")
    new = GenerationFactory(user=owner, prompt="a new lighthouse", status="failed")
    violin = GenerationFactory(user=owner, prompt="a new violin", status="failed")
    Generation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    since = (timezone.now() - timedelta(days=7)).date().isoformat()

    def listed(**params: str) -> list[int]:
        response = client.get(INDEX, {"status": "failed", **params})
        return [g.pk for g in response.context["generations"].generations]

    assert listed() == [violin.pk, new.pk, old.pk]
    assert listed(date_from=since) == [violin.pk, new.pk]
    assert listed(q="lighthouse") == [new.pk, old.pk]
    assert listed(q="lighthouse", date_from=since) == [new.pk]


def test_following_the_next_links_shows_every_image_once(client, owner, settings) -> None:
    settings.GALLERY_PAGE_SIZE = 4
    images = [make_image(owner, f"a lighthouse {number}") for number in range(11)]
    same = timezone.now() - timedelta(minutes=5)
    GeneratedImage.objects.filter(pk__in=[image.pk for image in images[2:9]]).update(
        created_at=same
    )
    expected = list(
        GeneratedImage.objects.filter(user=owner)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
    )
    for params in ({}, {"sort": "oldest"}, {"q": "lighthouse", "sort": "newest"}):
        seen: list[int] = []
        response = client.get(INDEX, params)
        for _ in range(10):
            seen += card_ids(response)
            link = next_link(response)
            if link is None:
                break
            response = client.get(INDEX + link)
        wanted = expected[::-1] if params.get("sort") == "oldest" else expected
        assert seen == wanted, params


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        "bmV3ZXN0fHh8eA",
        Cursor("newest", "yesterday", 5).encode(),
        Cursor("relevance", "nanana", 5).encode(),
        "x" * 500,
    ],
)
def test_a_malformed_cursor_shows_the_first_page_with_a_message(
    client, owner, settings, cursor: str
) -> None:
    settings.GALLERY_PAGE_SIZE = 2
    images = [make_image(owner, f"a lighthouse {number}") for number in range(3)]
    response = client.get(INDEX, {"cursor": cursor})
    assert response.status_code == 200
    assert card_ids(response) == [images[2].pk, images[1].pk]
    assert any("not valid" in message or "Cursor" in message for message in messages_of(response))


# -- saved searches ------------------------------------------------------------------------------


def test_save_a_search_list_it_and_open_it(client, owner) -> None:
    make_image(owner, "a lighthouse", size="512x512")
    wanted = make_image(owner, "a lighthouse", size="256x256")
    make_image(owner, "a violin", size="256x256")
    query_string = "q=lighthouse&size=256x256"
    page = client.get(f"{INDEX}?{query_string}")
    # The page offers to save exactly the query it shows.
    assert f'name="query_string" value="{query_string.replace("&", "&amp;")}"' in page.text

    response = client.post(
        reverse("gallery:saved-search-create"),
        {"name": "Small lighthouses", "query_string": query_string},
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=owner)
    assert saved.query_string == query_string

    sidebar = client.get(INDEX).text
    link = re.search(r'<a href="([^"]+)">Small lighthouses</a>', sidebar)
    assert link is not None
    opened = client.get(link.group(1).replace("&amp;", "&"))
    assert card_ids(opened) == [wanted.pk]


def test_saving_under_the_same_name_replaces_the_query(client, owner) -> None:
    url = reverse("gallery:saved-search-create")
    client.post(url, {"name": "Mine", "query_string": "q=lighthouse"})
    client.post(url, {"name": "Mine", "query_string": "q=violin"})
    assert list(SavedSearch.objects.filter(user=owner).values_list("query_string", flat=True)) == [
        "q=violin"
    ]


@pytest.mark.parametrize("name", ["", "x" * 81])
def test_a_saved_search_needs_a_sensible_name(client, owner, name: str) -> None:
    response = client.post(
        reverse("gallery:saved-search-create"),
        {"name": name, "query_string": "q=lighthouse"},
        follow=True,
    )
    assert response.status_code == 200
    assert "A saved search needs a name" in response.text
    assert not SavedSearch.objects.exists()


def test_delete_a_saved_search(client, owner) -> None:
    saved = SavedSearchFactory(user=owner, name="Old")
    response = client.post(reverse("gallery:saved-search-delete", args=[saved.pk]), follow=True)
    assert "Removed the saved search “Old”." in response.text
    assert not SavedSearch.objects.exists()


def test_another_users_saved_search_is_neither_listed_nor_deletable(client, owner) -> None:
    theirs = SavedSearchFactory(user=UserFactory(username="outsider"), name="Theirs")
    assert "Theirs" not in client.get(INDEX).text
    response = client.post(reverse("gallery:saved-search-delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()


# -- the trash page ------------------------------------------------------------------------------


def test_the_trash_lists_trashed_images_with_their_thumbnails(client, owner) -> None:
    kept = make_image(owner, "a kept lighthouse")
    trashed = make_image(owner, "a trashed lighthouse")
    GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    response = client.get(reverse("gallery:trash"))
    assert card_ids(response) == [trashed.pk]
    assert "30 days" in response.text
    thumbnail = re.search(r'<img src="([^"]+)"', response.text)
    assert thumbnail is not None
    image = client.get(thumbnail.group(1).replace("&amp;", "&"))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert card_ids(client.get(INDEX)) == [kept.pk]


def test_a_trashed_thumbnail_is_not_shown_outside_the_trash_or_to_others(client, owner) -> None:
    kept = make_image(owner, "a kept lighthouse")
    trashed = make_image(owner, "a trashed lighthouse")
    GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    thumbnail = reverse("gallery:image-thumbnail", args=[trashed.pk])
    assert client.get(thumbnail).status_code == 404
    assert client.get(thumbnail, {"trashed": "1"}).status_code == 200
    kept_thumbnail = reverse("gallery:image-thumbnail", args=[kept.pk])
    assert client.get(kept_thumbnail, {"trashed": "1"}).status_code == 404
    client.force_login(UserFactory(username="outsider"))
    assert client.get(thumbnail, {"trashed": "1"}).status_code == 404


def test_the_trash_pages_through_every_trashed_image(client, owner, settings) -> None:
    settings.GALLERY_PAGE_SIZE = 3
    images = [make_image(owner, f"a lighthouse {number}") for number in range(7)]
    moment = timezone.now()
    GeneratedImage.objects.filter(pk__in=[image.pk for image in images]).update(deleted_at=moment)
    seen: list[int] = []
    response = client.get(reverse("gallery:trash"))
    for _ in range(10):
        seen += card_ids(response)
        link = re.search(r'<a href="(\?cursor=[^"]+)" rel="next">', response.text)
        if link is None:
            break
        response = client.get(reverse("gallery:trash") + link.group(1))
    assert seen == sorted((image.pk for image in images), reverse=True)
