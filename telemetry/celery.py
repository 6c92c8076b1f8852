"""The log context across Celery: sent along with each task from the code that enqueues it, set
around the task's run, and Celery's own log lines written in the portal's format."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from celery import signals

from . import context

# The message header that carries the sender's context (request id, user, generation).
HEADER = "mka1_context"


def _send_context(headers: dict[str, Any] | None = None, **_: Any) -> None:
    values = {name: value for name, value in context.current().items() if value is not None}
    if headers is not None and values:
        headers[HEADER] = values


def _task_context(task: Any = None, **_: Any) -> None:
    # A worker thread runs one task after another: nothing of the last one may stay.
    context.clear()
    carried = task.request.get(HEADER) if task is not None else None
    if isinstance(carried, dict):
        context.bind(**{name: carried[name] for name in context.FIELDS if name in carried})


def _task_done(**_: Any) -> None:
    context.clear()


def _json_logging() -> bool:
    from django.conf import settings

    return bool(settings.LOG_FORMAT == "json")


def _portal_logging(**_: Any) -> None:
    """After Celery set up its own handlers: the portal's (LOGGING) instead, for JSON lines."""
    from django.conf import settings

    if _json_logging():
        logging.config.dictConfig(settings.LOGGING)


def _task_logger_propagates(logger: logging.Logger | None = None, **_: Any) -> None:
    # Celery gives the task logger a handler of its own; its lines go to the portal's instead.
    if logger is not None and _json_logging():
        logger.handlers = []
        logger.propagate = True


def connect() -> None:
    """Connect the hooks; the Celery app's module calls this, so web and worker both have them."""
    signals.before_task_publish.connect(_send_context, weak=False)
    signals.task_prerun.connect(_task_context, weak=False)
    signals.task_postrun.connect(_task_done, weak=False)
    signals.after_setup_logger.connect(_portal_logging, weak=False)
    signals.after_setup_task_logger.connect(_task_logger_propagates, weak=False)
