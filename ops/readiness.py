"""Whether this web process can serve: the database, the broker and the storage, each checked
with a time limit. Why a check failed goes to the log, never into the answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from kombu import Connection

from .broker import broker_check

logger = logging.getLogger(__name__)

# Asking for a name that is never written: an answer (yes or no) means the storage is reachable.
PROBE_NAME = "readyz-probe"
# Checks run side by side in threads of their own, so one that hangs is given up at its time
# limit; the thread ends when the call it waits on times out.
_executor = ThreadPoolExecutor(max_workers=6, thread_name_prefix="readyz")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    ms: int


def _without_broker_password(text: str) -> str:
    password = Connection(settings.CELERY_BROKER_URL).password
    return text.replace(password, "**") if password else text


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # The check's thread is not a request's: give its connection back (to the pool) now.
        connection.close()


def _broker() -> None:
    broker_check(settings.CELERY_BROKER_URL, timeout=settings.READYZ_TIMEOUT)


def _storage() -> None:
    default_storage.exists(PROBE_NAME)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "storage": _storage,
}


def _timed(check: Callable[[], None]) -> float:
    started = time.monotonic()
    check()
    return time.monotonic() - started


def readiness() -> list[CheckResult]:
    """Every check's outcome and duration; a check past READYZ_TIMEOUT counts as failed."""
    timeout = settings.READYZ_TIMEOUT
    started = time.monotonic()
    futures = {name: _executor.submit(_timed, check) for name, check in CHECKS.items()}
    results = []
    for name, future in futures.items():
        left = max(0.0, started + timeout - time.monotonic())
        try:
            seconds = future.result(timeout=left)
        except FutureTimeout:
            logger.warning("Readiness: the %s check took longer than %.1f s", name, timeout)
            results.append(CheckResult(name, False, int(timeout * 1000)))
            continue
        except Exception as error:  # noqa: BLE001 - any failure makes the process not ready
            logger.warning(
                "Readiness: the %s check failed: %s: %s",
                name,
                type(error).__name__,
                _without_broker_password(str(error)),
            )
            results.append(CheckResult(name, False, int((time.monotonic() - started) * 1000)))
            continue
        results.append(CheckResult(name, True, int(seconds * 1000)))
    return results
