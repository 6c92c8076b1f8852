"""Fixtures that start the real parts: the stand-in API over HTTP and a Celery worker process."""

from __future__ import annotations

import contextlib
import os
import queue as queues
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mka1_standin.server import StandinConfig, StandinServer

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Test workers' database connections carry this name, so a test can count them.
WORKER_APPLICATION = "mka1-test-worker"
TEST_QUEUE = f"mka1-test-{uuid.uuid4().hex[:8]}"
# The shared cache's keys of this run: parallel runs on one Redis database leave each other's be.
TEST_CACHE_PREFIX = f"mka1-test-{uuid.uuid4().hex[:8]}"


def run_django(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python manage.py ARGS` with only these variables (and PATH, PYTHONPATH) set."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(PROJECT_DIR), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def export_queue(queue: str) -> str:
    """The exports' queue beside a test's queue, as settings derive it from CELERY_QUEUE."""
    return f"{queue}-exports"


def both_queues(queue: str) -> str:
    """What a worker consumes, as under `make run`: the generations' queue and the exports'."""
    return f"{queue},{export_queue(queue)}"


@pytest.fixture(scope="session")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _isolated_settings(settings, media_root: Path, standin: StandinServer) -> None:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media_root, "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The default hasher is slow on purpose: a test that makes twenty users would spend seconds
    # on it, and a test that waits for work to overlap would see it arrive one by one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_QUEUE
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": TEST_CACHE_PREFIX},
    }
    settings.EXPORT_QUEUE = export_queue(TEST_QUEUE)
    settings.MKA1_API_URL = standin.url
    settings.MKA1_DOWNLOAD_PRIVATE_ALLOWED = [standin.url.removeprefix("http://")]


@pytest.fixture(autouse=True)
def _empty_cache(_isolated_settings: None) -> None:
    """Users' ids are used again from test to test: nothing cached may outlive its test. Only
    this run's keys go: clear() would empty the Redis database of every run."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    caches["local"].clear()
    shared = caches["default"]
    if isinstance(shared, RedisCache):
        client = shared._cache.get_client(write=True)
        stale = list(client.scan_iter(match=f"{TEST_CACHE_PREFIX}:*", count=1000))
        if stale:
            client.delete(*stale)
    else:
        shared.clear()


@pytest.fixture(scope="session")
def standin() -> Iterator[StandinServer]:
    server = StandinServer(
        host="127.0.0.1", port=0, config=StandinConfig(api_key=settings.MKA1_API_KEY)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def standin_config(standin: StandinServer) -> Iterator[StandinConfig]:
    """The stand-in's configuration for one test, restored afterwards."""
    saved = dict(vars(standin.config))
    standin.clear_requests()
    yield standin.config
    for name, value in saved.items():
        setattr(standin.config, name, value)


class WorkerProcess:
    """A real `celery worker` process on the test database and a queue of its own."""

    def __init__(self, env: dict[str, str], concurrency: int = 8, queue: str = TEST_QUEUE) -> None:
        self.env = env
        self.concurrency = concurrency
        # What it consumes (comma-separated), and the generations' queue, the first of them.
        self.queues = queue
        self.queue = queue.split(",")[0]
        self.name = f"test-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        self.lines: queues.Queue[str] = queues.Queue()
        self.log: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        # With the sweeper's beat inside the worker when the environment sets SWEEP_INTERVAL.
        self.extra_args = (
            ["-B", "-s", f"/tmp/{uuid.uuid4().hex}-beat"] if "SWEEP_INTERVAL" in env else []
        )

    def start(self, timeout: float = 60) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "mka1web", "worker",
            "-P", "threads", "-c", str(self.concurrency), "-Q", self.queues,
            "-n", self.name, "-l", "info",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            *self.extra_args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group, so the embedded beat (a child) goes down with it.
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queues.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if " ready." in line:
                return
        raise RuntimeError("The Celery worker did not start:\n" + "".join(self.log[-40:]))

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.log.append(line)
            self.lines.put(line)

    def _signal_group(self, signum: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        elif self.process:
            self._signal_group(signal.SIGKILL)

    def kill(self) -> None:
        """kill -9: the worker and any child of it, with no chance to clean up."""
        if self.process:
            self._signal_group(signal.SIGKILL)
            self.process.wait()


def worker_env(
    standin: StandinServer,
    media_root: Path,
    *,
    application_name: str = WORKER_APPLICATION,
    **extra: str,
) -> dict[str, str]:
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}?application_name={application_name}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "0",
        "CELERY_QUEUE": TEST_QUEUE,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MKA1_API_URL": standin.url,
        "MKA1_DOWNLOAD_PRIVATE_ALLOWED": standin.url.removeprefix("http://"),
        "MKA1_API_KEY": settings.MKA1_API_KEY,
        "MEDIA_ROOT": str(media_root),
        "PYTHONPATH": str(PROJECT_DIR),
        # Every wait shrunk, so that a fault ends in seconds.
        "MKA1_BACKOFF_BASE": "0.05",
        "MKA1_BACKOFF_CAP": "3",
        "MKA1_READ_TIMEOUT": "4",
        "MKA1_CALL_DEADLINE": "6",
        "MKA1_DOWNLOAD_TIMEOUT": "4",
        "GENERATION_LEASE_MARGIN": "2",
        "GENERATION_QUEUED_LEASE": "10",
        "CELERY_VISIBILITY_TIMEOUT": "30",
    }
    env.update(extra)
    env["EXPORT_QUEUE"] = extra.get("EXPORT_QUEUE", export_queue(env["CELERY_QUEUE"]))
    return env


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None,
    django_db_blocker,  # type: ignore[no-untyped-def]
    standin: StandinServer,
    media_root: Path,
) -> Iterator[WorkerProcess]:
    with django_db_blocker.unblock():
        worker = WorkerProcess(worker_env(standin, media_root), queue=both_queues(TEST_QUEUE))
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True)
def _worker_idle_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that used the shared worker ends only once the worker is idle: the table flush
    after a transactional test would otherwise deadlock with a task still writing."""
    yield
    if "celery_worker" not in request.fixturenames:
        return
    from mka1web.celery import app

    worker: WorkerProcess = request.getfixturevalue("celery_worker")
    inspect = app.control.inspect(destination=[worker.name], timeout=1.0)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        busy = [
            task
            for reply in (inspect.active(), inspect.reserved(), inspect.scheduled())
            for task in (reply or {}).get(worker.name, [])
        ]
        if not busy:
            return
        time.sleep(0.2)


@pytest.fixture
def start_worker(
    django_db_blocker,  # type: ignore[no-untyped-def]
    standin: StandinServer,
    media_root: Path,
    settings,  # type: ignore[no-untyped-def]
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start workers of a test's own, on a queue of the test's own; all stopped at its end."""
    queue_name = f"mka1-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue_name
    settings.EXPORT_QUEUE = export_queue(queue_name)
    started: list[WorkerProcess] = []

    def start(concurrency: int = 4, queues: str | None = None, **extra_env: str) -> WorkerProcess:
        """A worker on both of the test's queues, or only on those named (comma-separated)."""
        with django_db_blocker.unblock():
            env = worker_env(standin, media_root, CELERY_QUEUE=queue_name, **extra_env)
        queues = queues or both_queues(queue_name)
        worker = WorkerProcess(env, concurrency=concurrency, queue=queues)
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.kill()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy; return its value or fail the test with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {predicate.__doc__ or predicate}")
        time.sleep(interval)
