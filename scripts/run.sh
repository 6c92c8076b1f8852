#!/usr/bin/env bash
# Starts the portal in the foreground: web, worker and, without a real API URL, the stand-in.
set -euo pipefail
cd "$(dirname "$0")/.."

processes=(web worker beat)
if [ -z "${MKA1_API_URL:-}" ]; then
  export STANDIN_PORT=${STANDIN_PORT:-8001}
  export MKA1_API_URL="http://127.0.0.1:$STANDIN_PORT"
  export MKA1_DOWNLOAD_PRIVATE_ALLOWED="127.0.0.1:$STANDIN_PORT"
  processes+=(standin)
  echo "run: no MKA1_API_URL set, so the stand-in MKA1 server answers at $MKA1_API_URL"
fi
# Web and worker processes write their metrics to one directory, emptied as they all start.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/prometheus}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
.venv/bin/python manage.py ensure_admin
echo "run: the portal is at http://127.0.0.1:${WEB_PORT:-8000}/ (Ctrl-C stops everything)"
# The worker layout: one Celery worker process per core, WORKER_CONCURRENCY threads in each
# (docs/deploy.md; bench/pipeline.py measures the same layout).
workers=${WORKER_PROCESSES:-$(nproc)}
echo "run: $workers worker processes of ${WORKER_CONCURRENCY:-100} threads"
exec .venv/bin/honcho start -f Procfile -c "worker=$workers" "${processes[@]}"
