"""Sending work to the Celery workers, once the transaction that made it is committed.

A publish that the broker refuses never fails the request that made the row: the row is the
truth, so a generation is left queued for the sweeper and an export is failed with a reason.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from telemetry import context

from ..models import Export, Generation

logger = logging.getLogger(__name__)

# Celery's default retries a publish for up to a second; with the broker down a request would
# wait that long for nothing. Two quick tries ride out a stale pooled connection.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0.1,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# What a publish raises when the broker cannot be reached (Celery wraps the transport's errors
# in kombu's OperationalError; a socket error may still come through bare).
BROKER_ERRORS = (KombuError, OSError)


def _tasks() -> ModuleType:
    # The one import upwards (services -> tasks), deferred: the tasks call the services.
    from .. import tasks

    return tasks


def _publish(task: Any, object_id: int, queue: str) -> bool:
    """Send one task, or log why the broker did not take it and say so."""
    try:
        task.apply_async(
            (object_id,),
            queue=queue,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except BROKER_ERRORS as error:
        broker = task.app.connection_for_write()
        reason = f"{type(error).__name__}: {error}"
        if broker.password:
            reason = reason.replace(broker.password, "**")
        logger.warning(
            "The broker %s did not take %s(%s): %s", broker.as_uri(), task.name, object_id, reason
        )
        return False
    return True


def enqueue_generation(generation_id: int) -> bool:
    """Send a generation to the workers now; False when the broker did not take it.

    The queue is read at send time, so the portal and each test worker keep to their own. A
    generation the broker did not take stays queued with its lease made due, so the next sweep
    sends it again (once the broker is back), and nothing is called twice.

    The message carries the log context (request, user, this generation) to the worker."""
    with context.bound(generation_id=generation_id):
        if _publish(_tasks().run_generation, generation_id, settings.CELERY_TASK_DEFAULT_QUEUE):
            return True
        try:
            Generation.objects.filter(pk=generation_id, status=Generation.Status.QUEUED).update(
                lease_until=timezone.now()
            )
        except DatabaseError:
            logger.exception(
                "Generation %s keeps its lease; the sweeper sends it later", generation_id
            )
        return False


def enqueue_generation_on_commit(generation_id: int) -> None:
    transaction.on_commit(lambda: enqueue_generation(generation_id), robust=True)


def enqueue_export(export_id: int) -> bool:
    """Send an export to the workers of its own queue now (a long zip never holds a thread
    that generations wait for); one the broker did not take fails with a reason, as nothing
    would ever build it."""
    if _publish(_tasks().build_export, export_id, settings.EXPORT_QUEUE):
        return True
    Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.FAILED,
        error_message="The export could not be queued. Please try again in a minute.",
        finished_at=timezone.now(),
    )
    return False


def enqueue_export_on_commit(export_id: int) -> None:
    transaction.on_commit(lambda: enqueue_export(export_id), robust=True)
