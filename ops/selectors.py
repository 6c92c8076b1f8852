"""Reads for the operators' pages and the metrics scrape: the broker's queue, the workers'
heartbeats, and the last day of generations in one grouped query."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from gallery.models import Generation

from .broker import queue_depth
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# A worker not seen for this many heartbeats is shown as missing.
MISSED_BEATS = 3


def broker_queue_depth() -> int | None:
    """Messages waiting in the portal's queue; None when the broker does not answer."""
    try:
        return queue_depth(
            settings.CELERY_BROKER_URL,
            settings.CELERY_TASK_DEFAULT_QUEUE,
            timeout=settings.READYZ_TIMEOUT,
        )
    except Exception as error:  # noqa: BLE001 - any failure means the same: no figure
        logger.warning("Queue depth: the broker did not answer (%s)", type(error).__name__)
        return None


def pending_counts() -> dict[str, int]:
    """Generations queued and running now (the pending rows' partial index)."""
    counts: dict[str, int] = {str(status): 0 for status in Generation.PENDING}
    rows = Generation.objects.pending().values("status").annotate(count=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = row["count"]
    return counts


@dataclass(frozen=True)
class WorkerSeen:
    name: str
    started_at: datetime
    seen_at: datetime
    stopped_at: datetime | None
    up: bool


def workers_seen(now: datetime | None = None) -> list[WorkerSeen]:
    """Every worker that sent a heartbeat in the last day; up when its last one is recent."""
    now = now or timezone.now()
    recent = now - timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS * MISSED_BEATS)
    return [
        WorkerSeen(
            beat.name,
            beat.started_at,
            beat.seen_at,
            beat.stopped_at,
            up=beat.stopped_at is None and beat.seen_at >= recent,
        )
        for beat in WorkerHeartbeat.objects.filter(seen_at__gte=now - WINDOW)
    ]


@dataclass(frozen=True)
class HourCount:
    hour: datetime
    count: int


@dataclass(frozen=True)
class FailureKind:
    kind: str
    label: str
    count: int
    percent: float  # of the generations that ended


@dataclass(frozen=True)
class LastDay:
    per_hour: list[HourCount]  # the last 24 hours, oldest first, the current one last
    submitted: int
    ended: int  # succeeded, failed or refused (canceled ones never ran)
    failures: list[FailureKind]  # most frequent first

    @property
    def busiest_hour(self) -> int:
        return max((hour.count for hour in self.per_hour), default=0)

    @property
    def failure_percent(self) -> float:
        failed = sum(kind.count for kind in self.failures)
        return 100 * failed / self.ended if self.ended else 0.0


def last_day(now: datetime | None = None) -> LastDay:
    """Generations submitted in the last 24 hours, per hour and by outcome: one query grouped by
    hour, status and error kind, on the index of the creation time."""
    now = now or timezone.now()
    current_hour = now.replace(minute=0, second=0, microsecond=0)
    first_hour = current_hour - timedelta(hours=23)
    rows = (
        Generation.objects.filter(created_at__gte=first_hour)
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "status", "error_kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    per_hour = {first_hour + timedelta(hours=offset): 0 for offset in range(24)}
    ended = 0
    failed: dict[str, int] = {}
    for row in rows:
        hour = row["hour"].astimezone(first_hour.tzinfo)
        if hour in per_hour:
            per_hour[hour] += row["count"]
        if row["status"] in (Generation.Status.FAILED, Generation.Status.REFUSED):
            kind = row["error_kind"] or Generation.ErrorKind.UPSTREAM
            failed[kind] = failed.get(kind, 0) + row["count"]
        if row["status"] in Generation.FINISHED and row["status"] != Generation.Status.CANCELED:
            ended += row["count"]
    labels = dict(Generation.ErrorKind.choices)
    failures = [
        FailureKind(kind, labels.get(kind, kind), count, 100 * count / ended if ended else 0.0)
        for kind, count in sorted(failed.items(), key=lambda item: (-item[1], item[0]))
    ]
    return LastDay(
        per_hour=[HourCount(hour, count) for hour, count in per_hour.items()],
        submitted=sum(per_hour.values()),
        ended=ended,
        failures=failures,
    )


@dataclass(frozen=True)
class ImageApi:
    address: str  # scheme, host and port: no path, no credentials
    is_standin: bool


def image_api() -> ImageApi:
    """The MKA1 API in use: a loopback address is the stand-in (scripts/run.sh starts it there
    when MKA1_API_URL is not set); any other is taken for the real API."""
    parts = urlsplit(settings.MKA1_API_URL)
    host = parts.hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    port = f":{parts.port}" if parts.port else ""
    return ImageApi(f"{parts.scheme}://{host}{port}", loopback)


@dataclass(frozen=True)
class Status:
    queue: str
    queue_depth: int | None
    pending: dict[str, int]
    workers: list[WorkerSeen]
    last_day: LastDay
    image_api: ImageApi
    heartbeat_seconds: float

    @property
    def workers_up(self) -> int:
        return sum(worker.up for worker in self.workers)


def portal_status() -> Status:
    """Everything the status page shows."""
    now = timezone.now()
    return Status(
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        queue_depth=broker_queue_depth(),
        pending=pending_counts(),
        workers=workers_seen(now),
        last_day=last_day(now),
        image_api=image_api(),
        heartbeat_seconds=settings.WORKER_HEARTBEAT_SECONDS,
    )
