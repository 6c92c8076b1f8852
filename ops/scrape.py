"""What /metrics shows: the values the processes counted, and the figures read at scrape time
from the broker (queue depth) and the database (pending generations, on a partial index)."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from .selectors import broker_queue_depth, image_api, pending_counts


class ScrapeTimeCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        depth = broker_queue_depth()
        queue = GaugeMetricFamily(
            "mka1_queue_depth",
            "Messages waiting in the broker's queue (absent when the broker does not answer).",
            labels=["queue"],
        )
        if depth is not None:
            queue.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], depth)
        yield queue
        pending = GaugeMetricFamily(
            "mka1_generations_pending", "Generations queued or running now.", labels=["status"]
        )
        for status, count in pending_counts().items():
            pending.add_metric([status], count)
        yield pending
        yield GaugeMetricFamily(
            "mka1_image_api_standin",
            "1 when the MKA1 API URL is a loopback address (the stand-in), 0 for the real API.",
            value=int(image_api().is_standin),
        )


class _ThisProcess(Collector):
    """The values this process counted itself, when processes do not share a directory."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def metrics_page() -> bytes:
    """The exposition text: every process's values summed (multiprocess mode), or this
    process's own, and the scrape-time figures."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry)
