"""gunicorn's settings for the portal (`gunicorn -c mka1web/gunicorn.conf.py mka1web.wsgi`).

With PROMETHEUS_MULTIPROC_DIR, every worker process writes its metrics to that directory: files
of processes that are gone are removed when gunicorn starts, and a worker that exits has its
live values dropped. With LOG_FORMAT=json, gunicorn's own lines (errors, the access log) are
JSON too, with the request id of the request they are about.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any

# The same values as the portal's settings (read from the same environment).
from mka1web import settings as portal

_PROCESS_FILE = re.compile(r"_(\d+)\.db$")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: Any) -> None:
    directory = portal.PROMETHEUS_MULTIPROC_DIR
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    # A Celery worker on this host may share the directory: only the dead's files go.
    for path in glob.glob(os.path.join(directory, "*.db")):
        match = _PROCESS_FILE.search(path)
        if match and not _running(int(match.group(1))):
            os.remove(path)


def child_exit(server: Any, worker: Any) -> None:
    if portal.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, portal.PROMETHEUS_MULTIPROC_DIR)


if portal.LOG_FORMAT == "json":
    _json_handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["context", "redact"],
    }
    logconfig_dict = {
        "filters": portal.LOGGING["filters"],
        "formatters": portal.LOGGING["formatters"],
        "handlers": {
            "console": {**_json_handler, "stream": "ext://sys.stdout"},
            "error_console": {**_json_handler, "stream": "ext://sys.stderr"},
        },
        # The portal's own handler on the root logger writes the lines that propagate.
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
