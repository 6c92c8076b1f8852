"""Reads for the metrics scrape: the broker's queue, the pending generations, the API in use."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count

from gallery.models import Generation

from .broker import queue_depth

logger = logging.getLogger(__name__)


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
