"""Writes of the operators' app: a worker's heartbeat."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import WorkerHeartbeat

# Heartbeats of workers gone this long are deleted.
KEPT_FOR = timedelta(days=7)


def worker_heartbeat(*, name: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that the worker `name` is up now (one upsert), and forget long-gone workers."""
    now = now or timezone.now()
    with transaction.atomic():
        WorkerHeartbeat.objects.update_or_create(
            name=name,
            defaults={"started_at": started_at, "seen_at": now, "stopped_at": None},
        )
        WorkerHeartbeat.objects.filter(seen_at__lt=now - KEPT_FOR).delete()


def worker_stopped(*, name: str) -> None:
    """A warm shutdown: the worker says it is going, rather than just no longer being seen."""
    now = timezone.now()
    WorkerHeartbeat.objects.filter(name=name).update(seen_at=now, stopped_at=now)
