"""Submit benchmark: how many generations a second the JSON API takes under gunicorn, against a
bare endpoint measured in the same run.

    make bench-submit          (runs .venv/bin/python bench/submit.py)

Real processes: gunicorn as `make run` starts it (2 processes of 4 threads) with the bench's
settings (`bench.settings`: the portal's, plus the bare endpoint), a database of the bench's own
(`mka1_submit_bench`), Redis as broker and cache, and wrk (Debian's) on loopback, `-t2 -c16`,
with the tokens of 16 users in 2 teams taken in turn; every request has its own prompt and
Idempotency-Key. No worker runs: every accepted submission must leave its row and its message
on the bench's queue, which the bench counts after each phase. Quotas, pending caps and the
per-token rate are raised for the bench's users.

The bare endpoint (bench/floor.py, mounted only by bench/urls.py) looks up the token, inserts the
row and publishes the message, nothing else. It runs for 30 s before and 30 s after the API's
60 s, so that a drift of the machine falls on both alike.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    Database,
    Figure,
    machine_busy_share,
)

DATABASE = Database.beside(
    os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), "mka1_submit_bench"
)
QUEUE = "mka1-bench-submit"
USERS, TEAMS = 16, 2
THREADS, CONNECTIONS = 2, 16
SUBMIT_SECONDS, BARE_SECONDS, WARM_UP_SECONDS = 60, 30, 3
API_PATH, BARE_PATH = "/api/v1/generations", "/bench/bare-submit/"
RATE_TO_BARE_LIMIT, P99_TO_BARE_LIMIT = 0.5, 3.0
RAISED = {
    "QUOTA_USER_DAILY_IMAGES": str(10**9),
    "QUOTA_TEAM_MONTHLY_IMAGES": str(10**9),
    "GENERATION_MAX_PENDING": str(10**9),
    "API_RATE_LIMIT": f"{10**9}/minute",
}


def configure_django() -> None:
    DATABASE.create_if_missing()
    os.environ.update(
        DATABASE_URL=DATABASE.url(), CELERY_QUEUE=QUEUE, DJANGO_SETTINGS_MODULE="bench.settings"
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bench_tokens() -> list[tuple[str, str]]:
    """16 users in 2 teams, each with a fresh token: (token, team slug) pairs."""
    from django.contrib.auth.models import User

    from accounts.models import Membership, Team
    from api.models import ApiToken
    from api.services import token_create

    teams = [
        Team.objects.get_or_create(slug=f"submit-bench-{n}", defaults={"name": f"Submit {n}"})[0]
        for n in range(1, TEAMS + 1)
    ]
    pairs = []
    for n in range(1, USERS + 1):
        user, created = User.objects.get_or_create(username=f"submit-bench-{n}")
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        team = teams[n % TEAMS]
        Membership.objects.get_or_create(user=user, team=team)
        ApiToken.objects.filter(user=user).delete()
        _, token = token_create(user=user, name="bench-submit")
        pairs.append((token, team.slug))
    return pairs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **RAISED,
        "PYTHONPATH": str(PROJECT_DIR),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": DATABASE.url(),
        "CELERY_QUEUE": QUEUE,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "mka1web.wsgi", "--bind",
        f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start; see {log}")


@dataclass
class WrkRun:
    statuses: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    socket_errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0

    @property
    def accepted(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def refused(self) -> int:
        """Every answer but a 201, and every request without an answer."""
        return sum(count for status, count in self.statuses.items() if status != 201) + (
            self.socket_errors
        )

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


def wrk(port: int, path: str, seconds: int, run: str, tokens: list[tuple[str, str]]) -> WrkRun:
    env = {
        **os.environ,
        "SUBMIT_PATH": path,
        "SUBMIT_RUN": run,
        "SUBMIT_TOKENS": ",".join(f"{token}:{team}" for token, team in tokens),
    }
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(PROJECT_DIR / "bench" / "submit.lua"), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result = WrkRun()
    for line in output.splitlines():
        name, _, value = line.partition(" ")
        if name == "wrk-status":
            status, count = value.split()
            result.statuses[int(status)] = int(count)
        elif name == "wrk-requests":
            result.requests = int(value)
        elif name == "wrk-duration-us":
            result.seconds = int(value) / 1e6
        elif name == "wrk-socket-errors":
            result.socket_errors = int(value)
        elif name == "wrk-p50-us":
            result.p50_ms = int(value) / 1000
        elif name == "wrk-p99-us":
            result.p99_ms = int(value) / 1000
    return result


def queued_messages() -> int:
    from django.conf import settings

    from ops.broker import queue_depth

    return queue_depth(settings.CELERY_BROKER_URL, QUEUE, timeout=10)


def empty_queue_and_rows() -> None:
    """Purge the queue and delete the bench's generations, then vacuum what the deletes left, so
    that no autovacuum of a phase's dead rows runs during the next phase's measurement."""
    from django.db import connection as database

    from gallery.models import Generation, TeamMonthUsage, UserDayUsage, UserUsage
    from mka1web.celery import app

    with app.connection_for_write() as connection:
        channel = cast(Any, connection.default_channel)
        channel.queue_declare(queue=QUEUE, durable=True, auto_delete=False)
        channel.queue_purge(QUEUE)
    Generation.objects.filter(user__username__startswith="submit-bench-").delete()
    with database.cursor() as cursor:
        for model in (Generation, UserUsage, UserDayUsage, TeamMonthUsage):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def settled_counts(run: str) -> tuple[int, int]:
    """The run's rows and the queue's messages, once requests wrk left in flight when it
    stopped have ended (neither count changed for a second)."""
    from gallery.models import Generation

    counts, deadline = (-1, -1), time.monotonic() + 30
    while time.monotonic() < deadline:
        now = (
            Generation.objects.filter(prompt__startswith=f"bench {run} ").count(),
            queued_messages(),
        )
        if now == counts:
            break
        counts = now
        time.sleep(1.0)
    return counts


def lost(run: str, accepted: int) -> tuple[int, int, int]:
    """(rows, messages, lost): a submission is lost when its 201 has no row, or a row has no
    message. Requests still in flight when wrk stopped may add rows wrk never saw answered."""
    rows, messages = settled_counts(run)
    return rows, messages, max(0, accepted - rows) + abs(rows - messages)


def phase(port: int, path: str, seconds: int, tokens: list[tuple[str, str]]) -> tuple[WrkRun, int]:
    run = uuid.uuid4().hex[:8]
    empty_queue_and_rows()
    result = wrk(port, path, seconds, run, tokens)
    rows, messages, missing = lost(run, result.accepted)
    others = ", ".join(f"{status}: {count}" for status, count in sorted(result.statuses.items()))
    print(
        f"  {path}: {result.requests} requests in {result.seconds:.1f} s ({others}; socket "
        f"errors {result.socket_errors}), {result.per_second:.0f} accepted/s, p50 "
        f"{result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; rows {rows}, queued messages "
        f"{messages}"
    )
    empty_queue_and_rows()
    return result, missing


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("MKA1 Studio submit benchmark (make bench-submit)")
    print(
        f"date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; machine: {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    print(f"load: the CPUs were {machine_busy_share():.0%} busy in the 2 s before the run")
    configure_django()
    tokens = bench_tokens()
    port = free_port()
    log = PROJECT_DIR / "var" / "bench-submit-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = start_gunicorn(port, log)
    print(
        f"setup: gunicorn --workers 2 --threads 4 on 127.0.0.1:{port}; wrk -t{THREADS} "
        f"-c{CONNECTIONS}; {USERS} users in {TEAMS} teams; bare {BARE_SECONDS} s, API "
        f"{SUBMIT_SECONDS} s, bare {BARE_SECONDS} s"
    )
    try:
        for path in (BARE_PATH, API_PATH):  # warm both up: imports, pools, caches
            wrk(port, path, WARM_UP_SECONDS, "warm-up", tokens)
        settled_counts("warm-up")
        bare_before, lost_before = phase(port, BARE_PATH, BARE_SECONDS, tokens)
        api, api_lost = phase(port, API_PATH, SUBMIT_SECONDS, tokens)
        bare_after, lost_after = phase(port, BARE_PATH, BARE_SECONDS, tokens)
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare_seconds = bare_before.seconds + bare_after.seconds
    bare_rate = (bare_before.accepted + bare_after.accepted) / bare_seconds
    bare_p99 = (bare_before.p99_ms + bare_after.p99_ms) / 2
    figures = [
        Figure.record("submit_requests_per_s", api.per_second, "req/s", 0),
        Figure.record("submit_p50", api.p50_ms, "ms"),
        Figure.record("submit_p99", api.p99_ms, "ms"),
        Figure.record("bare_requests_per_s", bare_rate, "req/s", 0),
        Figure.record("bare_p99", bare_p99, "ms"),
        Figure("submit_rate_to_bare", api.per_second / bare_rate, "x", ">=", RATE_TO_BARE_LIMIT, 2),
        Figure("submit_p99_to_bare", api.p99_ms / bare_p99, "x", "<=", P99_TO_BARE_LIMIT, 2),
        Figure("submit_not_201", api.refused, "answers", "<=", 0, 0),
        Figure("submit_lost", api_lost, "submissions", "<=", 0, 0),
        Figure("bare_not_201", bare_before.refused + bare_after.refused, "answers", "<=", 0, 0),
        Figure("bare_lost", lost_before + lost_after, "submissions", "<=", 0, 0),
    ]
    for figure in figures:
        print(figure.line())
    return 0 if all(figure.ok for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
