"""The gallery's writes: trash and its retention, stars, saved searches and zip exports."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from gallery import services
from gallery.models import Export, Favorite, GeneratedImage, SavedSearch
from gallery.values import GalleryFilters
from tests.conftest import wait_for
from tests.factories import GeneratedImageFactory, GenerationFactory, UserFactory

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]


@pytest.fixture
def owner():  # type: ignore[no-untyped-def]
    return UserFactory(username="owner")


def make_image(user, prompt: str, **generation) -> GeneratedImage:  # type: ignore[no-untyped-def]
    return GeneratedImageFactory(
        generation=GenerationFactory(user=user, prompt=prompt, **generation)
    )


def files_of(image: GeneratedImage, media_root: Path) -> list[Path]:
    return [media_root / name for name in (image.file.name, image.thumbnail.name) if name]


# -- trash and retention -------------------------------------------------------------------------


def test_trash_and_restore_touch_only_the_users_own_images(owner) -> None:
    mine = make_image(owner, "a lighthouse")
    theirs = make_image(UserFactory(username="outsider"), "a tower")
    assert services.images_trash(user=owner, image_ids=[mine.pk, theirs.pk]) == 1
    assert services.images_trash(user=owner, image_ids=[mine.pk]) == 0  # already there
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.deleted_at is not None and theirs.deleted_at is None

    GeneratedImage.objects.filter(pk=theirs.pk).update(deleted_at=timezone.now())
    assert services.images_restore(user=owner, image_ids=[mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.deleted_at is None and theirs.deleted_at is not None


def test_purge_deletes_old_trash_for_good_and_leaves_younger_trash(
    owner, media_root, django_capture_on_commit_callbacks
) -> None:
    old = make_image(owner, "an old lighthouse")
    theirs_old = make_image(UserFactory(username="outsider"), "an old tower")
    young = make_image(owner, "a young lighthouse")
    kept = make_image(owner, "a kept lighthouse")
    now = timezone.now()
    GeneratedImage.objects.filter(pk__in=[old.pk, theirs_old.pk]).update(
        deleted_at=now - timedelta(days=31)
    )
    GeneratedImage.objects.filter(pk=young.pk).update(deleted_at=now - timedelta(days=29))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.trash_purge() == 2

    assert set(GeneratedImage.objects.values_list("pk", flat=True)) == {young.pk, kept.pk}
    for image in (old, theirs_old):
        assert not any(path.exists() for path in files_of(image, media_root))
    for image in (young, kept):
        assert all(path.exists() for path in files_of(image, media_root))


def test_purge_follows_the_retention_setting(owner, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRASH_RETENTION_DAYS = 7
    image = make_image(owner, "a lighthouse")
    GeneratedImage.objects.filter(pk=image.pk).update(deleted_at=timezone.now() - timedelta(days=8))
    assert services.trash_purge() == 1


def test_the_purge_runs_periodically() -> None:
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "gallery.tasks.purge_trash" in entries
    from gallery.tasks import purge_trash

    assert purge_trash.name == "gallery.tasks.purge_trash"


# -- stars and saved searches --------------------------------------------------------------------


def test_stars_go_only_on_the_users_visible_images(owner) -> None:
    mine = make_image(owner, "a lighthouse")
    trashed = make_image(owner, "a trashed lighthouse")
    GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    theirs = make_image(UserFactory(username="outsider"), "a tower")
    services.favorites_set(user=owner, image_ids=[mine.pk, trashed.pk, theirs.pk], favorite=True)
    assert list(Favorite.objects.values_list("user_id", "image_id")) == [(owner.pk, mine.pk)]
    services.favorites_set(user=owner, image_ids=[mine.pk], favorite=False)
    assert not Favorite.objects.exists()


def test_a_saved_search_is_replaced_by_name(owner) -> None:
    services.saved_search_save(user=owner, name="Mine", query_string="q=lighthouse")
    services.saved_search_save(user=owner, name="Mine", query_string="q=tower")
    services.saved_search_save(user=owner, name="Other", query_string="q=" + "x" * 2000)
    assert dict(SavedSearch.objects.values_list("name", "query_string"))["Mine"] == "q=tower"
    assert len(SavedSearch.objects.get(name="Other").query_string) == 1000


# -- exports -------------------------------------------------------------------------------------


def build(export: Export) -> Export:
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    return export


def open_export(export: Export) -> tuple[zipfile.ZipFile, dict[int, dict]]:  # type: ignore[type-arg]
    assert export.status == Export.Status.READY, export.error_message
    archive = zipfile.ZipFile(default_storage.open(export.file.name or "", "rb"))
    metadata = json.loads(archive.read("metadata.json"))
    return archive, {entry["image"]["id"]: entry for entry in metadata["images"]}


def assert_holds(archive: zipfile.ZipFile, entry: dict, image: GeneratedImage) -> None:  # type: ignore[type-arg]
    with default_storage.open(image.file.name or "", "rb") as original:
        assert archive.read(entry["file"]) == original.read()
    generation = image.generation
    assert entry["generation"] == {
        **entry["generation"],
        "id": generation.pk,
        "prompt": generation.prompt,
        "model": generation.model,
        "n": generation.n,
        "size": generation.size,
        "quality": generation.quality,
        "style": generation.style,
        "response_format": generation.response_format,
        "status": "succeeded",
    }
    assert entry["image"]["revised_prompt"] == image.revised_prompt
    assert (entry["image"]["width"], entry["image"]["height"]) == (image.width, image.height)


def test_an_export_of_a_selection_holds_the_originals_and_their_metadata(
    owner, django_capture_on_commit_callbacks
) -> None:
    chosen = [
        make_image(owner, "a lighthouse", size="512x512", quality="hd"),
        make_image(owner, "a violin", model="meetkai:flux-2-klein", style="natural"),
    ]
    make_image(owner, "not chosen")
    theirs = make_image(UserFactory(username="outsider"), "their tower")
    export = services.export_start(user=owner, image_ids=[*(i.pk for i in chosen), theirs.pk])
    export = build(export)

    archive, entries = open_export(export)
    assert sorted(entries) == sorted(image.pk for image in chosen)
    for image in chosen:
        assert_holds(archive, entries[image.pk], image)
    assert len([name for name in archive.namelist() if name.startswith("images/")]) == 2
    assert (export.total, export.done, export.percent) == (2, 2, 100)
    assert export.byte_size == default_storage.size(export.file.name or "")


def test_an_export_of_a_search_holds_every_match(owner) -> None:
    lighthouses = [make_image(owner, f"a lighthouse {n}", size="512x512") for n in range(3)]
    make_image(owner, "a lighthouse too small", size="256x256")
    make_image(owner, "a violin", size="512x512")
    trashed = make_image(owner, "a trashed lighthouse", size="512x512")
    GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    make_image(UserFactory(username="outsider"), "their lighthouse", size="512x512")

    export = build(
        services.export_start(
            user=owner, image_ids=[], filters=GalleryFilters(q="lighthouse", size="512x512")
        )
    )
    archive, entries = open_export(export)
    assert sorted(entries) == sorted(image.pk for image in lighthouses)
    for image in lighthouses:
        assert_holds(archive, entries[image.pk], image)


def test_an_export_of_everything_with_hostile_words_still_builds(owner) -> None:
    make_image(owner, "a lighthouse")
    filters = GalleryFilters(q='"&|!')
    export = build(services.export_start(user=owner, image_ids=[], filters=filters))
    assert export.status == Export.Status.READY


def test_a_missing_original_fails_the_export_with_a_reason(owner) -> None:
    image = make_image(owner, "a lighthouse")
    default_storage.delete(image.file.name or "")
    export = build(services.export_start(user=owner, image_ids=[image.pk]))
    assert export.status == Export.Status.FAILED
    assert "could not be built" in export.error_message


def test_an_export_is_built_once(owner) -> None:
    image = make_image(owner, "a lighthouse")
    export = build(services.export_start(user=owner, image_ids=[image.pk]))
    first = export.file.name
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.file.name == first


@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_an_export(celery_worker) -> None:
    owner = UserFactory(username="exporter")
    images = [make_image(owner, f"a lighthouse {n}") for n in range(3)]
    export = services.export_start(user=owner, image_ids=[image.pk for image in images])

    def finished() -> Export | None:
        """the export to be built by the worker"""
        export.refresh_from_db()
        return export if export.status in (Export.Status.READY, Export.Status.FAILED) else None

    wait_for(finished, timeout=60)
    archive, entries = open_export(export)
    assert sorted(entries) == sorted(image.pk for image in images)
    for image in images:
        assert_holds(archive, entries[image.pk], image)
