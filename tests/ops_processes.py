"""gunicorn and Celery worker processes for the operators' tests, each writing its stdout and
stderr to files of its own, so a test can read exactly what an operator's log would hold."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import PROJECT_DIR


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def stop(self) -> None:
        """SIGTERM (a warm shutdown) to the process and its children, then wait."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _spawn(command: list[str], env: dict[str, str], directory: Path, name: str) -> Process:
    stdout, stderr = directory / f"{name}.stdout", directory / f"{name}.stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=err, start_new_session=True
        )
    return Process(process, stdout, stderr)


@dataclass
class Portal(Process):
    url: str


@contextlib.contextmanager
def gunicorn(env: dict[str, str], directory: Path, workers: int = 2) -> Iterator[Portal]:
    """The portal under gunicorn with its configuration file, as the Procfile starts it."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", "mka1web/gunicorn.conf.py", "mka1web.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "2",
        "--access-logfile", "-",
    ]  # fmt: skip
    spawned = _spawn(command, {**env, "ALLOWED_HOSTS": "127.0.0.1"}, directory, "gunicorn")
    portal = Portal(spawned.process, spawned.stdout, spawned.stderr, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if portal.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + portal.output()[-4000:])
            try:
                if httpx.get(f"{portal.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield portal
    finally:
        portal.stop()


@contextlib.contextmanager
def celery_worker(env: dict[str, str], directory: Path, queue: str) -> Iterator[Process]:
    """A Celery worker as the Procfile starts it, on the test's queue."""
    name = f"ops-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    command = [
        sys.executable, "-m", "celery", "-A", "mka1web", "worker", "-P", "threads", "-c", "4",
        "-Q", queue, "-n", name, "-l", "info",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    worker = _spawn(command, env, directory, "worker")
    try:
        deadline = time.monotonic() + 60
        while f"{name} ready." not in worker.output():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("The Celery worker did not start:\n" + worker.output()[-4000:])
            time.sleep(0.2)
        yield worker
    finally:
        worker.stop()
