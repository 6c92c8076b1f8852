"""Signal receivers: the log context ends with its request."""

from __future__ import annotations

from django.core.signals import request_finished

from telemetry import context


def _request_finished(**_: object) -> None:
    context.clear()


def connect() -> None:
    request_finished.connect(_request_finished, weak=False)
