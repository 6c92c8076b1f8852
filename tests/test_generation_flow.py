"""From the form to stored images, through the real broker, worker and stand-in."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from gallery.models import GeneratedImage, Generation
from tests.conftest import wait_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.foundation, pytest.mark.django_db(transaction=True)]


def form(**changes: object) -> dict[str, object]:
    data = {
        "prompt": "a glass greenhouse full of orchids",
        "model": "meetkai:z-image-turbo",
        "n": 2,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "b64_json",
    }
    data.update(changes)
    return data


def finished(generation_id: int) -> Generation | None:
    generation = Generation.objects.get(pk=generation_id)
    return generation if generation.status not in Generation.PENDING else None


def generated(client, **changes: object) -> Generation:  # type: ignore[no-untyped-def]
    """A new user, logged in, submits the form; their generation once it has ended."""
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("gallery:generate"), form(**changes))
    generation = Generation.objects.get(user=user)
    return wait_for(lambda: finished(generation.pk))


@pytest.mark.parametrize("response_format", ["b64_json", "url"])
def test_submitted_prompt_ends_as_stored_images(
    client, celery_worker, standin, standin_config, response_format: str
) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("gallery:generate"), form(response_format=response_format))
    assert response.status_code == 302
    generation = Generation.objects.get(user=user)

    done = wait_for(lambda: finished(generation.pk))
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    assert done.attempts == 1 and done.api_ms is not None and done.finished_at
    assert done.upstream_request_id
    images = list(done.images.order_by("index"))
    assert [image.index for image in images] == [0, 1]
    for image in images:
        assert "orchids" in image.revised_prompt
        with default_storage.open(image.file.name) as handle:
            assert Image.open(handle).size == (256, 256)
        with default_storage.open(image.thumbnail.name) as handle:
            assert Image.open(handle).format == "WEBP"

    call = next(r for r in standin.requests if r["path"].endswith("/images/generations"))
    assert call["headers"]["x-on-behalf-of"] == str(user.pk)
    assert call["body"]["user"] == str(user.pk)
    assert call["body"]["response_format"] == response_format


def test_upstream_refusal_ends_failed_with_its_reason_shown(client, celery_worker) -> None:
    done = generated(client, prompt="a forbidden picture", n=1)
    assert done.status == Generation.Status.REFUSED
    assert done.error_kind == "content_policy"
    assert done.upstream_status == 400
    page = client.get(reverse("gallery:index")).content.decode()
    assert "refused by the content policy" in page
    detail = client.get(reverse("gallery:generation", args=[done.pk])).content.decode()
    assert "refused by the content policy" in detail


def test_server_error_ends_failed_with_a_message(client, celery_worker, standin_config) -> None:
    standin_config.fail_next = [{"status": 500}, {"status": 502}, {"status": 503}]
    done = generated(client, n=1)
    assert done.status == Generation.Status.FAILED
    assert done.error_kind == "upstream"
    assert done.attempts == 3
    assert done.upstream_status == 503
    assert done.error_message.startswith("The image service failed")
    assert not GeneratedImage.objects.filter(generation=done).exists()


def test_invalid_form_rerenders_with_errors_keeps_input_and_enqueues_nothing(client) -> None:
    user = UserFactory()
    client.force_login(user)
    typed = "a prompt the user typed with care"
    response = client.post(reverse("gallery:generate"), form(prompt=typed, n=11))
    assert response.status_code == 400
    page = response.content.decode()
    assert typed in page
    assert "Ensure this value is less than or equal to 10" in page
    assert not Generation.objects.exists()


def test_resent_form_returns_the_first_generation(client, celery_worker) -> None:
    user = UserFactory()
    client.force_login(user)
    data = form(n=1, idempotency_key="1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed")
    client.post(reverse("gallery:generate"), data)
    client.post(reverse("gallery:generate"), data)
    assert Generation.objects.filter(user=user).count() == 1
    wait_for(lambda: finished(Generation.objects.get(user=user).pk))


def test_image_bytes_are_what_the_original_view_serves(client, celery_worker) -> None:
    image = generated(client, n=1).images.get()
    response = client.get(reverse("gallery:image-file", args=[image.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (256, 256)


def test_stored_images_are_searchable_at_once(client, celery_worker) -> None:
    """The worker writes the search vector (prompt above revised prompt) and the user's words."""
    from gallery import selectors
    from gallery.models import SearchTerm
    from gallery.values import GalleryFilters, Scope

    done = generated(client, prompt="a lantern by the harbour", n=1)
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    image = done.images.get()
    user = done.user

    def found(**filters: str) -> list[int]:
        page = selectors.gallery_page(user, Scope.own(user), GalleryFilters(**filters))
        return [shown.pk for shown in page.images]

    assert found(q="lanterns") == [image.pk]  # a prompt word, stemmed
    revised_only = set(image.revised_prompt.lower().split()) - {"a", "lantern", "by", "the"}
    word = next(w.strip(",.") for w in sorted(revised_only) if len(w.strip(",.")) > 3)
    assert found(q=word) == [image.pk]  # a word only the revised prompt holds
    # The prompt's words weigh more: relevance puts this image in the prompt tier.
    page = selectors.gallery_page(
        user, Scope.own(user), GalleryFilters(q="lantern", sort="relevance")
    )
    assert getattr(page.images[0], "tier", None) == 1
    assert SearchTerm.objects.filter(user=user, word="harbour").exists()
    assert found(q="harbuor") == [image.pk]  # misspelt: the trigram fallback
