"""Celery entry points: thin, taking ids, calling services. Work is sent to them by
`services.enqueue`."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import DatabaseError, connection

from . import services


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=20)
def run_generation(self: Any, generation_id: int) -> None:
    try:
        held_for = services.generation_run(generation_id=generation_id)
    except DatabaseError as exc:
        # A lost database connection: hand the row back and try again with a fresh one.
        connection.close()
        services.generation_release(generation_id=generation_id)
        raise self.retry(exc=exc, countdown=1) from exc
    if held_for is not None:
        # Another worker holds a live lease (or held it when it died): look again when it ends.
        raise self.retry(countdown=held_for)


@shared_task(ignore_result=True)
def sweep_generations() -> dict[str, int]:
    return services.generations_sweep()


@shared_task(ignore_result=True)
def purge_trash() -> int:
    return services.trash_purge()


@shared_task(ignore_result=True)
def build_export(export_id: int) -> None:
    services.export_build(export_id=export_id)


@shared_task(ignore_result=True)
def expire_exports() -> int:
    return services.exports_expire()
