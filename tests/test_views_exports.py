"""Starting an export from the gallery, following it, and downloading the zip."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from gallery import services
from gallery.models import Export
from tests.factories import GeneratedImageFactory, GenerationFactory, UserFactory

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]


@pytest.fixture
def owner(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="owner")
    client.force_login(user)
    return user


def make_image(user, prompt: str, **generation):  # type: ignore[no-untyped-def]
    return GeneratedImageFactory(
        generation=GenerationFactory(user=user, prompt=prompt, **generation)
    )


def downloaded_zip(client, export: Export) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    response = client.get(reverse("gallery:export-download", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'attachment; filename="mka1-export-{export.pk}.zip"' == response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_export_every_result_of_a_search_from_the_gallery(client, owner) -> None:
    wanted = [make_image(owner, f"a lighthouse {n}", quality="hd") for n in range(2)]
    make_image(owner, "a lighthouse", quality="standard")
    make_image(owner, "a violin", quality="hd")
    gallery = client.get(reverse("gallery:index"), {"q": "lighthouse", "quality": "hd"})
    query = re.search(r'name="query_string" value="([^"]*)">\s*<button[^>]*>Export', gallery.text)
    assert query is not None
    assert "Export all results" in gallery.text

    response = client.post(
        reverse("gallery:export-search"), {"query_string": query.group(1).replace("&amp;", "&")}
    )
    export = Export.objects.get(user=owner)
    assert response["Location"] == reverse("gallery:export", args=[export.pk])
    waiting = client.get(response["Location"])
    assert "Queued" in waiting.text
    assert "Download the zip" not in waiting.text

    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    ready = client.get(reverse("gallery:export", args=[export.pk]))
    assert "The export is ready: 2 images" in ready.text
    assert reverse("gallery:export-download", args=[export.pk]) in ready.text

    archive = downloaded_zip(client, export)
    metadata = json.loads(archive.read("metadata.json"))
    assert sorted(entry["image"]["id"] for entry in metadata["images"]) == sorted(
        image.pk for image in wanted
    )
    for entry in metadata["images"]:
        image = next(image for image in wanted if image.pk == entry["image"]["id"])
        with default_storage.open(image.file.name, "rb") as original:
            assert archive.read(entry["file"]) == original.read()
        assert entry["generation"]["prompt"] == image.generation.prompt
        assert entry["generation"]["quality"] == "hd"


def test_the_export_page_refreshes_itself_through_htmx(client, owner) -> None:
    image = make_image(owner, "a lighthouse")
    export = services.export_start(user=owner, image_ids=[image.pk])
    url = reverse("gallery:export", args=[export.pk])
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="export-status"')
    assert f'hx-get="{url}"' in fragment.text
    services.export_build(export_id=export.pk)
    done = client.get(url, headers={"HX-Request": "true"})
    assert "hx-get" not in done.text  # finished: no more polling
    assert "Download the zip" in done.text


def test_an_export_that_is_not_ready_cannot_be_downloaded(client, owner) -> None:
    export = services.export_start(user=owner, image_ids=[make_image(owner, "a lighthouse").pk])
    assert client.get(reverse("gallery:export-download", args=[export.pk])).status_code == 404


def test_a_failed_export_says_why(client, owner) -> None:
    image = make_image(owner, "a lighthouse")
    default_storage.delete(image.file.name)
    export = services.export_start(user=owner, image_ids=[image.pk])
    services.export_build(export_id=export.pk)
    page = client.get(reverse("gallery:export", args=[export.pk]))
    assert "The export could not be built" in page.text
    assert client.get(reverse("gallery:export-download", args=[export.pk])).status_code == 404


def test_another_user_can_neither_see_nor_download_an_export(client, owner) -> None:
    export = services.export_start(user=owner, image_ids=[make_image(owner, "a lighthouse").pk])
    services.export_build(export_id=export.pk)
    client.force_login(UserFactory(username="outsider"))
    assert client.get(reverse("gallery:export", args=[export.pk])).status_code == 404
    assert client.get(reverse("gallery:export-download", args=[export.pk])).status_code == 404


@pytest.mark.parametrize("query_string", ["q=a\x00b", "q=" + "x" * 1200])
def test_an_export_of_an_impossible_search_is_refused_with_a_message(
    client, owner, query_string: str
) -> None:
    response = client.post(
        reverse("gallery:export-search"), {"query_string": query_string}, follow=True
    )
    assert response.status_code == 200
    assert "That search cannot be exported" in response.text
    assert not Export.objects.exists()
