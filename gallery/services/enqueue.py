"""Sending work to the Celery workers, once the transaction that made it is committed."""

from __future__ import annotations

from types import ModuleType

from django.conf import settings
from django.db import transaction


def _tasks() -> ModuleType:
    # The one import upwards (services -> tasks), deferred: the tasks call the services.
    from .. import tasks

    return tasks


def enqueue_generation(generation_id: int) -> None:
    """Send a generation to the workers now. The queue is read at send time, so the portal and
    each test worker keep to their own."""
    _tasks().run_generation.apply_async((generation_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def enqueue_generation_on_commit(generation_id: int) -> None:
    transaction.on_commit(lambda: enqueue_generation(generation_id))


def enqueue_export_on_commit(export_id: int) -> None:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    transaction.on_commit(lambda: _tasks().build_export.apply_async((export_id,), queue=queue))
