"""Export zips: built by workers of their own queue, deleted once kept long enough, and deleted
with any image in them that is deleted for good. Their exports stay and say what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from gallery import services, tasks
from gallery.models import Export, GeneratedImage, Generation
from gallery.values import GenerationParams
from mka1web import settings as project_settings
from tests.conftest import wait_for
from tests.factories import GeneratedImageFactory, GenerationFactory, UserFactory

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]


@pytest.fixture
def owner(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="owner")
    client.force_login(user)
    return user


def make_image(user, prompt: str) -> GeneratedImage:  # type: ignore[no-untyped-def]
    return GeneratedImageFactory(generation=GenerationFactory(user=user, prompt=prompt))


def built(user, images: list[GeneratedImage]) -> Export:  # type: ignore[no-untyped-def]
    export = services.export_start(user=user, image_ids=[image.pk for image in images])
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.READY, export.error_message
    assert default_storage.exists(export.file.name or "")
    return export


def assert_gone(client, export: Export, zip_name: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED
    assert not export.file
    assert not default_storage.exists(zip_name)
    assert client.get(reverse("gallery:export-download", args=[export.pk])).status_code == 404
    page = client.get(reverse("gallery:export", args=[export.pk]))
    assert "This export has expired." in page.text
    assert reason in page.text
    assert "Download the zip" not in page.text


@pytest.mark.django_db(transaction=True)
def test_an_export_is_built_by_a_worker_of_the_exports_queue_alone(start_worker) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(concurrency=2, queues=settings.EXPORT_QUEUE)
    owner = UserFactory(username="exporter")
    images = [make_image(owner, f"a lighthouse {n}") for n in range(2)]
    export = services.export_start(user=owner, image_ids=[image.pk for image in images])
    generation = services.generation_submit(
        user=owner,
        params=GenerationParams(
            prompt="a kite", model="meetkai:z-image-turbo", n=1, size="256x256",
            quality="standard", style="vivid", response_format="url",
        ),
    )  # fmt: skip

    def ended() -> Export | None:
        """the export to be built by the exports' worker"""
        export.refresh_from_db()
        return export if export.status in (Export.Status.READY, Export.Status.FAILED) else None

    assert wait_for(ended, timeout=60).status == Export.Status.READY
    assert export.total == 2 and default_storage.exists(export.file.name or "")
    assert worker.queue == settings.EXPORT_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    # The generation went to the generations' queue, which this worker does not consume.
    generation.refresh_from_db()
    assert generation.status == Generation.Status.QUEUED


def test_beat_expires_exports_hourly_on_the_exports_queue() -> None:
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "gallery.tasks.expire_exports"
    )
    assert entry["schedule"] == 3600.0
    assert entry["options"] == {"queue": project_settings.EXPORT_QUEUE}
    assert tasks.expire_exports.name == "gallery.tasks.expire_exports"


def test_a_zip_kept_past_its_retention_is_deleted_by_the_periodic_task(
    client,
    owner,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    old = built(owner, [make_image(owner, "an old lighthouse")])
    old_zip = old.file.name or ""
    young = built(owner, [make_image(owner, "a young lighthouse")])
    Export.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    Export.objects.filter(pk=young.pk).update(finished_at=timezone.now() - timedelta(hours=23))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_exports() == 1

    assert_gone(client, old, old_zip, "Zips are kept for 24 hours; this one was deleted.")
    young.refresh_from_db()
    assert young.status == Export.Status.READY
    assert default_storage.exists(young.file.name or "")
    assert client.get(reverse("gallery:export-download", args=[young.pk])).status_code == 200


def test_the_retention_follows_its_setting(
    client,
    owner,
    settings,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    settings.EXPORT_RETENTION_HOURS = 1.5
    export = built(owner, [make_image(owner, "a lighthouse")])
    name = export.file.name or ""
    Export.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.exports_expire() == 1
    assert_gone(client, export, name, "Zips are kept for 1.5 hours")


def test_an_export_that_never_finished_stops_counting_against_the_limit(owner, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_MAX_RUNNING = 1
    stuck = services.export_start(user=owner, image_ids=[make_image(owner, "a lighthouse").pk])
    Export.objects.filter(pk=stuck.pk).update(
        status=Export.Status.RUNNING, created_at=timezone.now() - timedelta(hours=25)
    )
    with pytest.raises(services.ExportRefused):
        services.export_start(user=owner, image_ids=[])
    services.exports_expire()
    stuck.refresh_from_db()
    assert stuck.status == Export.Status.FAILED
    assert stuck.error_message == "The export did not finish in time; export again."
    assert services.export_start(user=owner, image_ids=[]).status == Export.Status.QUEUED


def test_deleting_an_image_for_good_deletes_the_zips_that_hold_it(
    client,
    owner,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    doomed, kept = make_image(owner, "a doomed lighthouse"), make_image(owner, "a kept violin")
    both = built(owner, [doomed, kept])
    both_zip = both.file.name or ""
    search = services.export_start(user=owner, image_ids=[])  # every image: both of them
    services.export_build(export_id=search.pk)
    search.refresh_from_db()
    search_zip = search.file.name or ""
    other = built(owner, [kept])

    services.images_trash(user=owner, image_ids=[doomed.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("gallery:bulk"),
            {"action": "delete_forever", "ids": [doomed.pk], "next": "/trash/"},
        )
    assert response.status_code == 302

    reason = "An image in this export was deleted for good, so its zip was deleted too."
    assert_gone(client, both, both_zip, reason)
    assert_gone(client, search, search_zip, reason)
    other.refresh_from_db()
    assert other.status == Export.Status.READY
    assert default_storage.exists(other.file.name or "")


def test_the_trash_retention_deletes_the_zips_of_what_it_purges(
    client,
    owner,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    image = make_image(owner, "a forgotten lighthouse")
    export = built(owner, [image])
    name = export.file.name or ""
    GeneratedImage.objects.filter(pk=image.pk).update(
        deleted_at=timezone.now() - timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.trash_purge() == 1
    assert_gone(client, export, name, "deleted for good")


def test_an_image_deleted_for_good_while_its_zip_is_built_leaves_no_zip(
    client,
    owner,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    doomed, kept = make_image(owner, "a doomed lighthouse"), make_image(owner, "a kept violin")
    export = services.export_start(user=owner, image_ids=[doomed.pk, kept.pk])
    written: list[str] = []
    write_export = services.exports.write_export

    def write_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The zip is written; the owner empties the trash before the export is marked ready.
        name, size = write_export(*args, **kwargs)
        written.append(name)
        services.images_trash(user=owner, image_ids=[doomed.pk])
        services.trash_empty(user=owner)
        return name, size

    monkeypatch.setattr(services.exports, "write_export", write_then_delete)
    services.export_build(export_id=export.pk)

    assert written and not default_storage.exists(written[0])
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED
    assert client.get(reverse("gallery:export-download", args=[export.pk])).status_code == 404
