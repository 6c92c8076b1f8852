"""One image's page and star, the trash round trip, and bulk actions on a selection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from gallery.models import Export, Favorite, GeneratedImage
from tests.factories import (
    FavoriteFactory,
    GeneratedImageFactory,
    GenerationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]

INDEX = reverse("gallery:index")
TRASH = reverse("gallery:trash")
BULK = reverse("gallery:bulk")


@pytest.fixture
def owner(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="owner")
    client.force_login(user)
    return user


@pytest.fixture
def images(owner) -> list[GeneratedImage]:  # type: ignore[no-untyped-def]
    return [
        GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt=f"a lighthouse {n}"))
        for n in range(4)
    ]


@pytest.fixture
def theirs() -> GeneratedImage:
    outsider = UserFactory(username="outsider")
    return GeneratedImageFactory(generation=GenerationFactory(user=outsider, prompt="their tower"))


def card_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(pk) for pk in re.findall(r'<li class="tile" id="image-(\d+)"', response.text)]


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in response.context["messages"]]


def stored(image: GeneratedImage, media_root: Path) -> list[Path]:
    return [media_root / name for name in (image.file.name, image.thumbnail.name) if name]


def bulk(client, action: str, ids: list[object], next_url: str = INDEX):  # type: ignore[no-untyped-def]
    return client.post(
        BULK, {"action": action, "ids": [str(pk) for pk in ids], "next": next_url}, follow=True
    )


# -- trash, restore, delete forever --------------------------------------------------------------


def test_delete_moves_an_image_to_the_trash_and_restore_brings_it_back(
    client, owner, images
) -> None:
    image = images[0]
    client.post(reverse("gallery:image-delete", args=[image.pk]))
    assert image.pk not in card_ids(client.get(INDEX))
    assert client.get(reverse("gallery:image", args=[image.pk])).status_code == 404
    assert card_ids(client.get(TRASH)) == [image.pk]

    response = bulk(client, "restore", [image.pk], TRASH)
    assert "Restored 1 image(s)." in messages_of(response)
    assert card_ids(response) == []  # back on the trash page, now empty
    assert image.pk in card_ids(client.get(INDEX))
    assert client.get(reverse("gallery:image", args=[image.pk])).status_code == 200


def test_delete_for_good_removes_the_row_and_its_files(
    client, owner, images, media_root, django_capture_on_commit_callbacks
) -> None:
    gone, kept = images[0], images[1]
    bulk(client, "trash", [gone.pk, kept.pk])
    files = stored(gone, media_root)
    assert all(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(client, "delete_forever", [gone.pk], TRASH)
    assert "Deleted 1 image(s) for good." in messages_of(response)
    assert not GeneratedImage.objects.filter(pk=gone.pk).exists()
    assert not any(path.exists() for path in files)
    assert card_ids(response) == [kept.pk]
    assert all(path.exists() for path in stored(kept, media_root))


def test_emptying_the_trash_deletes_only_the_trash(
    client, owner, images, theirs, media_root, django_capture_on_commit_callbacks
) -> None:
    bulk(client, "trash", [images[0].pk, images[1].pk])
    GeneratedImage.objects.filter(pk=theirs.pk).update(deleted_at=images[0].created_at)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:trash-empty"), follow=True)
    assert "Deleted 2 image(s) for good." in messages_of(response)
    assert set(GeneratedImage.objects.values_list("pk", flat=True)) == {
        images[2].pk, images[3].pk, theirs.pk,
    }  # fmt: skip
    assert all(path.exists() for path in stored(theirs, media_root))


# -- bulk actions --------------------------------------------------------------------------------


def test_bulk_trash_restore_star_and_unstar(client, owner, images) -> None:
    chosen = [images[0].pk, images[2].pk]
    response = bulk(client, "favorite", chosen)
    assert "Starred 2 image(s)." in messages_of(response)
    assert set(Favorite.objects.filter(user=owner).values_list("image_id", flat=True)) == set(
        chosen
    )
    assert client.get(INDEX, {"favorites": "on"}).context["page"].favorite_ids == set(chosen)

    response = bulk(client, "unfavorite", [images[0].pk])
    assert "Unstarred 1 image(s)." in messages_of(response)
    assert list(Favorite.objects.values_list("image_id", flat=True)) == [images[2].pk]

    response = bulk(client, "trash", chosen)
    assert "Moved 2 image(s) to the trash." in messages_of(response)
    assert card_ids(response) == [images[3].pk, images[1].pk]
    assert sorted(card_ids(client.get(TRASH))) == sorted(chosen)

    response = bulk(client, "restore", chosen, TRASH)
    assert "Restored 2 image(s)." in messages_of(response)
    assert len(card_ids(client.get(INDEX))) == 4


def test_bulk_download_starts_an_export_of_the_selection(client, owner, images) -> None:
    response = client.post(
        BULK, {"action": "download", "ids": [str(images[1].pk), str(images[3].pk)]}
    )
    export = Export.objects.get(user=owner)
    assert response["Location"] == reverse("gallery:export", args=[export.pk])
    assert sorted(export.image_ids) == sorted([images[1].pk, images[3].pk])


def test_another_users_ids_change_nothing_and_the_page_says_so(
    client, owner, images, theirs
) -> None:
    for action, mine in (("trash", images[0]), ("favorite", images[1])):
        response = bulk(client, action, [theirs.pk, mine.pk])
        assert (
            "1 of the selected images are not yours or are gone; they were left alone."
            in messages_of(response)
        )
    theirs.refresh_from_db()
    assert theirs.deleted_at is None
    assert not Favorite.objects.filter(image=theirs).exists()

    GeneratedImage.objects.filter(pk=theirs.pk).update(deleted_at=images[0].created_at)
    for action in ("restore", "delete_forever"):
        response = bulk(client, action, [theirs.pk], TRASH)
        assert any("not yours" in message for message in messages_of(response))
    theirs.refresh_from_db()
    assert theirs.deleted_at is not None


def test_downloading_only_another_users_images_exports_nothing(
    client, owner, images, theirs
) -> None:
    response = bulk(client, "download", [theirs.pk])
    assert not Export.objects.exists()
    assert "None of the selected images can be downloaded." in messages_of(response)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["abc"], "The selection is not a list of image numbers."),
        (["1", "two"], "The selection is not a list of image numbers."),
        (["-3"], "The selection is not a list of image numbers."),
        (["0"], "The selection is not a list of image numbers."),
        (["1.5"], "The selection is not a list of image numbers."),
        (["9" * 5000], "The selection is not a list of image numbers."),
        ([str(n) for n in range(1, 1002)], "Select at most 1,000 images at once."),
        ([",".join(str(n) for n in range(1, 1500))], "Select at most 1,000 images at once."),
        ([], "Select at least one image first."),
    ],
)
def test_malformed_selections_get_a_clear_message(
    client, owner, images, ids: list[str], message: str
) -> None:
    response = bulk(client, "trash", ids)
    assert response.status_code == 200
    assert message in messages_of(response)
    assert GeneratedImage.objects.filter(deleted_at__isnull=False).count() == 0


def test_an_id_beyond_any_row_is_just_not_found(client, owner, images) -> None:
    response = bulk(client, "trash", ["99999999999999999999"])
    assert response.status_code == 200
    assert any("not yours or are gone" in message for message in messages_of(response))


def test_an_unknown_action_is_refused_with_a_message(client, owner, images) -> None:
    response = bulk(client, "explode", [images[0].pk])
    assert any("Select a valid choice" in message for message in messages_of(response))


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_bulk_goes_back_only_to_this_site(client, owner, images, next_url: str) -> None:
    response = client.post(BULK, {"action": "favorite", "ids": [images[0].pk], "next": next_url})
    assert response["Location"] == "/"


def test_bulk_goes_back_to_the_page_it_came_from(client, owner, images) -> None:
    back = "/?q=lighthouse&cursor=abc"
    response = client.post(BULK, {"action": "favorite", "ids": [images[0].pk], "next": back})
    assert response["Location"] == back


# -- the star ------------------------------------------------------------------------------------


def test_star_and_unstar_with_a_plain_post(client, owner, images) -> None:
    image = images[0]
    url = reverse("gallery:image-favorite", args=[image.pk])
    response = client.post(url, {"favorite": "1", "next": "/?q=lighthouse"})
    assert response["Location"] == "/?q=lighthouse"
    assert Favorite.objects.filter(user=owner, image=image).exists()
    page = client.get(INDEX)
    assert page.context["page"].favorite_ids == {image.pk}
    assert 'aria-pressed="true"' in page.text

    client.post(url, {"favorite": "0"})
    assert not Favorite.objects.exists()


def test_starring_twice_keeps_one_star(client, owner, images) -> None:
    url = reverse("gallery:image-favorite", args=[images[0].pk])
    client.post(url, {"favorite": "1"})
    client.post(url, {"favorite": "1"})
    assert Favorite.objects.count() == 1


def test_star_with_htmx_returns_the_star_fragment(client, owner, images) -> None:
    image = images[0]
    url = reverse("gallery:image-favorite", args=[image.pk])
    response = client.post(url, {"favorite": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<form class="star"')
    assert "<html" not in html
    assert 'aria-pressed="true"' in html
    assert 'name="favorite" value="0"' in html  # the next press unstars
    response = client.post(url, {"favorite": "0"}, headers={"HX-Request": "true"})
    assert 'aria-pressed="false"' in response.text
    assert 'name="favorite" value="1"' in response.text
    assert not Favorite.objects.exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_the_star_goes_back_only_to_this_site(client, owner, images, next_url: str) -> None:
    url = reverse("gallery:image-favorite", args=[images[0].pk])
    assert client.post(url, {"favorite": "1", "next": next_url})["Location"] == "/"


def test_a_trashed_image_cannot_be_starred(client, owner, images) -> None:
    GeneratedImage.objects.filter(pk=images[0].pk).update(deleted_at=images[0].created_at)
    url = reverse("gallery:image-favorite", args=[images[0].pk])
    assert client.post(url, {"favorite": "1"}).status_code == 404
    assert not Favorite.objects.exists()


def test_favorites_only_lists_the_starred_images(client, owner, images, theirs) -> None:
    FavoriteFactory(user=owner, image=images[1])
    FavoriteFactory(user=theirs.user, image=theirs)
    assert card_ids(client.get(INDEX, {"favorites": "on"})) == [images[1].pk]
    assert card_ids(client.get(INDEX, {"favorites": "on", "q": "lighthouse"})) == [images[1].pk]
    assert card_ids(client.get(INDEX, {"favorites": "on", "q": "violin"})) == []


# -- an image's page -----------------------------------------------------------------------------


def test_an_images_page_links_its_neighbours_and_the_way_back(client, owner, images) -> None:
    # Newest first: images[3], [2], [1], [0].
    response = client.get(reverse("gallery:image", args=[images[2].pk]), {"q": "lighthouse"})
    nav = re.search(r"<nav class=\"detail-nav\"[^>]*>", response.text)
    assert nav is not None
    tag = nav.group(0).replace("&amp;", "&")
    assert f'data-prev="/images/{images[3].pk}/?q=lighthouse"' in tag
    assert f'data-next="/images/{images[1].pk}/?q=lighthouse"' in tag
    assert f'data-back="/?q=lighthouse#image-{images[2].pk}"' in tag

    newest = client.get(reverse("gallery:image", args=[images[3].pk])).text
    assert "data-prev=" not in newest
    assert 'rel="prev"' not in newest
    assert f'data-next="/images/{images[2].pk}/"' in newest
