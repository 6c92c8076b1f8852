"""Writes of exports: one asked for (within the user's limits), its zip built, and zips deleted
once kept long enough or once an image in them is deleted for good."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .. import storage
from ..archive import write_export
from ..models import Export, GeneratedImage
from ..selectors import export_image_ids, search_export_size, unfinished_export_count
from ..values import GalleryFilters
from .enqueue import enqueue_export_on_commit

logger = logging.getLogger(__name__)

DELETED_WITH_IMAGE = "An image in this export was deleted for good, so its zip was deleted too."
DELETED_WHILE_BUILT = (
    "An image in this export was deleted for good while the zip was built; export again."
)


class ExportRefused(Exception):
    """An export that cannot be started, with the reason in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_many_images(count: str, limit: int) -> ExportRefused:
    return ExportRefused(
        f"This export would hold {count} images; one export holds at most {limit}. "
        "Narrow the search or select fewer images, and export in parts."
    )


def export_start(
    *,
    user: User,
    image_ids: list[int],
    filters: GalleryFilters | None = None,
    query_string: str = "",
) -> Export:
    """An export of the chosen images or, with none chosen, of every image the filters match
    (the query string is kept to link back to the search).

    Refused (ExportRefused) when it would hold more than EXPORT_MAX_IMAGES images, or when the
    user already has EXPORT_MAX_RUNNING exports queued or being built. The user's row is locked
    while those are counted, so requests sent at once are counted one after another.
    """
    filters = filters or GalleryFilters()
    most = settings.EXPORT_MAX_IMAGES
    if len(image_ids) > most:
        raise _too_many_images(str(len(image_ids)), most)
    if not image_ids and search_export_size(user.pk, filters, at_most=most + 1) > most:
        raise _too_many_images(f"more than {most}", most)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        running = unfinished_export_count(user.pk)
        if running >= settings.EXPORT_MAX_RUNNING:
            raise ExportRefused(
                f"You have {running} exports queued or being built, the most at once is "
                f"{settings.EXPORT_MAX_RUNNING}. Export again once one of them is ready."
            )
        export = Export.objects.create(
            user=user,
            image_ids=image_ids,
            filters=filters.to_json(),
            query_string=query_string[:1000],
        )
        enqueue_export_on_commit(export.pk)
    return export


def _fail(export_id: int, message: str) -> None:
    Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).update(
        status=Export.Status.FAILED, error_message=message, finished_at=timezone.now()
    )


def export_build(*, export_id: int) -> None:
    """Write the zip to a temporary file and then to storage, so memory stays flat.

    The images it will hold are recorded before the first byte is written, so that deleting one
    of them for good while it is built expires the export (and this build then deletes its zip).
    """
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING
    )
    if not claimed:
        return
    export = Export.objects.get(pk=export_id)
    try:
        image_ids = export_image_ids(export)
        if len(image_ids) > settings.EXPORT_MAX_IMAGES:
            # The search matched more images by the time the export was built.
            refused = _too_many_images(str(len(image_ids)), settings.EXPORT_MAX_IMAGES)
            _fail(export_id, refused.message)
            return
        Export.objects.filter(pk=export.pk).update(total=len(image_ids), exported_ids=image_ids)

        def progress(done: int) -> None:
            Export.objects.filter(pk=export.pk).update(done=done)

        name, size = write_export(export, image_ids, progress=progress)
    except Exception as error:
        logger.exception("Export %s failed", export_id)
        _fail(export_id, f"The export could not be built ({type(error).__name__}).")
        return
    if not _export_finish(export_id, image_ids, name, size):
        storage.delete_quietly(name)


def _export_finish(export_id: int, image_ids: list[int], name: str, size: int) -> bool:
    """Mark the export ready with its zip, unless it was expired meanwhile or one of its images
    was deleted for good before the export recorded it; False when the zip is not to be kept.

    Its images are locked first, in the order a deletion for good locks them and then the
    export, so a deletion either finishes before this looks (and the zip is not kept) or
    starts after this commits (and finds the export to expire)."""
    with transaction.atomic():
        images = GeneratedImage.objects.filter(pk__in=image_ids).order_by("pk")
        still_there = len(images.select_for_update(no_key=True).values_list("pk", flat=True))
        export = (
            Export.objects.select_for_update()
            .filter(pk=export_id, status=Export.Status.RUNNING)
            .first()
        )
        if export is None:
            return False
        if still_there != len(image_ids):
            _fail(export_id, DELETED_WHILE_BUILT)
            return False
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.READY, file=name, byte_size=size, finished_at=timezone.now()
        )
    return True


def _expire(exports: list[tuple[int, str]], reason: str) -> None:
    """Mark these exports expired and delete their zips once that is committed."""
    Export.objects.filter(pk__in=[pk for pk, _ in exports]).update(
        status=Export.Status.EXPIRED, file="", error_message=reason
    )
    names = [name for _, name in exports if name]
    transaction.on_commit(lambda: storage.delete_quietly(*names))


def exports_expire_holding(*, image_ids: list[int]) -> int:
    """Delete the zips that hold any of these images, and expire exports being built with them;
    run in the transaction that deletes the images for good."""
    exports = list(Export.objects.holding(image_ids).select_for_update().values_list("pk", "file"))
    if exports:
        _expire(exports, DELETED_WITH_IMAGE)
    return len(exports)


def exports_expire() -> int:
    """Delete the zips kept longer than EXPORT_RETENTION_HOURS (their exports stay, marked
    expired), and fail exports that did not finish within that time (their worker died)."""
    hours = settings.EXPORT_RETENTION_HOURS
    cutoff = timezone.now() - timedelta(hours=hours)
    reason = f"Zips are kept for {hours:g} hours; this one was deleted."
    expired = 0
    while True:
        with transaction.atomic():
            old = Export.objects.ready_before(cutoff).select_for_update(skip_locked=True)
            batch = list(old.values_list("pk", "file")[:500])
            if not batch:
                break
            _expire(batch, reason)
        expired += len(batch)
    Export.objects.unfinished_before(cutoff).update(
        status=Export.Status.FAILED,
        error_message="The export did not finish in time; export again.",
        finished_at=timezone.now(),
    )
    return expired
