"""Celery entry points: thin, taking ids, calling services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def run_generation(generation_id: int) -> None:
    services.generation_run(generation_id=generation_id)


@shared_task(ignore_result=True)
def sweep_generations() -> dict[str, int]:
    return services.generations_sweep()
