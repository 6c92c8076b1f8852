"""Exports within limits: how many a user may have queued or being built at once, and how many
images one may hold. Each refusal says why on the page the export was asked from."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gallery import services
from gallery.models import Export, GeneratedImage
from tests.factories import GeneratedImageFactory, GenerationFactory, UserFactory
from tests.parallel import post_at_once, unconsumed_queue

pytestmark = [pytest.mark.security, pytest.mark.django_db]

SEARCH = "q=lighthouse"


def make_image(user, prompt: str) -> GeneratedImage:  # type: ignore[no-untyped-def]
    return GeneratedImageFactory(generation=GenerationFactory(user=user, prompt=prompt))


@pytest.fixture
def owner(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="owner")
    client.force_login(user)
    return user


def export_search(client):  # type: ignore[no-untyped-def]
    return client.post(reverse("gallery:export-search"), {"query_string": SEARCH})


def test_one_export_past_the_running_limit_is_refused_and_the_search_kept(
    client,
    owner,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.EXPORT_MAX_RUNNING = 2
    make_image(owner, "a lighthouse")
    started = [export_search(client) for _ in range(2)]
    assert all(response["Location"].startswith("/exports/") for response in started)

    refused = client.post(reverse("gallery:export-search"), {"query_string": SEARCH}, follow=True)
    assert refused.redirect_chain == [(f"/?{SEARCH}", 302)]
    assert "You have 2 exports queued or being built, the most at once is 2." in refused.text
    assert 'value="lighthouse"' in refused.text  # the search box still holds the search
    assert Export.objects.filter(user=owner).count() == 2

    # Once one is built, there is room for another.
    first = Export.objects.filter(user=owner).earliest("pk")
    services.export_build(export_id=first.pk)
    assert export_search(client)["Location"].startswith("/exports/")
    # Another user's exports count for them alone.
    client.force_login(UserFactory(username="other"))
    assert export_search(client)["Location"].startswith("/exports/")


@pytest.mark.django_db(transaction=True)
def test_export_requests_sent_at_once_stop_exactly_at_the_running_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_MAX_RUNNING = 2
    with unconsumed_queue("exports") as queue:
        settings.EXPORT_QUEUE = queue
        # A few rounds, each user's requests at once: each round is a fresh chance to interleave.
        for attempt in range(4):
            owner = UserFactory(username=f"hurried{attempt}")
            make_image(owner, "a lighthouse")
            answers = post_at_once(
                owner, reverse("gallery:export-search"), [{"query_string": SEARCH}] * 16
            )
            locations = [answer["Location"] for answer in answers]
            assert [answer.status_code for answer in answers] == [302] * 16
            assert len([where for where in locations if where.startswith("/exports/")]) == 2
            assert locations.count(f"/?{SEARCH}") == 14
            assert Export.objects.filter(user=owner).count() == 2


def test_an_export_of_more_images_than_one_may_hold_is_refused(client, owner, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_MAX_IMAGES = 3
    images = [make_image(owner, f"a lighthouse {n}") for n in range(4)]

    search = client.post(reverse("gallery:export-search"), {"query_string": SEARCH}, follow=True)
    assert search.redirect_chain == [(f"/?{SEARCH}", 302)]
    assert "This export would hold more than 3 images; one export holds at most 3." in search.text

    selection = {"action": "download", "ids": [image.pk for image in images], "next": "/trash/"}
    chosen = client.post(reverse("gallery:bulk"), selection, follow=True)
    assert chosen.redirect_chain == [("/trash/", 302)]
    assert "This export would hold 4 images; one export holds at most 3." in chosen.text
    assert not Export.objects.exists()

    selection["ids"] = [image.pk for image in images[:3]]
    assert client.post(reverse("gallery:bulk"), selection)["Location"].startswith("/exports/")
    narrower = client.post(reverse("gallery:export-search"), {"query_string": "q=lighthouse+1"})
    assert narrower["Location"].startswith("/exports/")


def test_a_search_that_grew_past_the_limit_before_it_was_built_fails_with_the_reason(
    owner,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.EXPORT_MAX_IMAGES = 2
    make_image(owner, "a lighthouse")
    export = services.export_start(user=owner, image_ids=[])
    make_image(owner, "another lighthouse")
    make_image(owner, "a third lighthouse")
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert export.error_message.startswith("This export would hold 3 images")
    assert not export.file
