"""Writes of exports: one asked for, and its zip built."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..archive import write_export
from ..models import Export
from ..selectors import export_image_ids
from ..values import GalleryFilters
from .enqueue import enqueue_export_on_commit

logger = logging.getLogger(__name__)


def export_start(
    *,
    user: User,
    image_ids: list[int],
    filters: GalleryFilters | None = None,
    query_string: str = "",
) -> Export:
    """An export of the chosen images or, with none chosen, of every image the filters match
    (the query string is kept to link back to the search)."""
    with transaction.atomic():
        export = Export.objects.create(
            user=user,
            image_ids=image_ids[:100_000],
            filters=(filters or GalleryFilters()).to_json(),
            query_string=query_string[:1000],
        )
        enqueue_export_on_commit(export.pk)
    return export


def export_build(*, export_id: int) -> None:
    """Write the zip to a temporary file and then to storage, so memory stays flat."""
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING
    )
    if not claimed:
        return
    export = Export.objects.get(pk=export_id)
    try:
        image_ids = export_image_ids(export)
        Export.objects.filter(pk=export.pk).update(total=len(image_ids))

        def progress(done: int) -> None:
            Export.objects.filter(pk=export.pk).update(done=done)

        name, size = write_export(export, image_ids, progress=progress)
    except Exception as error:
        logger.exception("Export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED,
            error_message=f"The export could not be built ({type(error).__name__}).",
            finished_at=timezone.now(),
        )
        return
    Export.objects.filter(pk=export_id).update(
        status=Export.Status.READY, file=name, byte_size=size, finished_at=timezone.now()
    )
