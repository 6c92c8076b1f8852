"""Signal receivers: the log context ends with its request, and each Celery worker process has
a heartbeat thread that writes a row every WORKER_HEARTBEAT_SECONDS, from the moment the worker
is ready until it shuts down."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import signals
from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, connection
from django.utils import timezone

from telemetry import context

from . import services

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    def __init__(self, name: str) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.worker_name = name
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        self._write(services.worker_heartbeat, name=self.worker_name, started_at=self.started_at)
        while not self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS):
            self._write(
                services.worker_heartbeat, name=self.worker_name, started_at=self.started_at
            )
        self._write(services.worker_stopped, name=self.worker_name)

    def _write(self, service: Callable[..., None], **arguments: Any) -> None:
        try:
            service(**arguments)
        except DatabaseError as error:
            logger.warning("Heartbeat not recorded: %s", type(error).__name__)
        finally:
            connection.close()

    def stop(self) -> None:
        """Written by the thread itself, so a database that does not answer holds up the
        worker's shutdown a few seconds at most."""
        self.stopping.set()
        self.join(timeout=5)


_heartbeat: Heartbeat | None = None


def _worker_ready(sender: Any = None, **_: Any) -> None:
    global _heartbeat
    if _heartbeat is None:
        _heartbeat = Heartbeat(getattr(sender, "hostname", None) or "worker")
        _heartbeat.start()


def _worker_shutdown(**_: Any) -> None:
    global _heartbeat
    if _heartbeat is not None:
        _heartbeat.stop()
        _heartbeat = None


def _request_finished(**_: object) -> None:
    context.clear()


def connect() -> None:
    request_finished.connect(_request_finished, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
    signals.worker_shutdown.connect(_worker_shutdown, weak=False)
