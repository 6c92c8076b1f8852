"""The portal's Prometheus instruments, counted where things happen.

Under gunicorn and in the Celery workers PROMETHEUS_MULTIPROC_DIR names a directory that every
process of a host writes its values to, and the portal's /metrics sums them (prometheus-client's
multiprocess mode). Without it each process keeps its own, as under runserver and in tests.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram

# The directory must exist before the first value is written; it is emptied when the host's
# processes start (scripts/run.sh, mka1web/gunicorn.conf.py).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

HTTP_REQUESTS = Counter(
    "mka1_http_requests",
    "Requests answered, by the URL name of their view and the status code.",
    ["view", "status"],
)
GENERATIONS = Counter(
    "mka1_generations",
    "Generations that ended, by status and error kind (empty when it succeeded).",
    ["status", "error_kind"],
)
API_CALL_SECONDS = Histogram(
    "mka1_api_call_seconds",
    "Duration of each attempt to call the MKA1 image API, by outcome (ok or the error kind).",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 90, 150),
)
API_RETRIES = Counter(
    "mka1_api_retries",
    "Attempts at the MKA1 image API that failed and were tried again, by error kind.",
    ["error_kind"],
)
IMAGES_STORED = Counter("mka1_images_stored", "Images stored (each with its thumbnail).")
IMAGE_BYTES_STORED = Counter(
    "mka1_image_bytes_stored", "Bytes of image files stored, by file.", ["file"]
)


def generations_ended(status: str, error_kind: str = "", count: int = 1) -> None:
    if count:
        GENERATIONS.labels(status=status, error_kind=error_kind or "").inc(count)
