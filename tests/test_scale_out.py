"""The portal past one machine: two web processes, two worker processes, one database, one
broker (RabbitMQ), one bucket (moto's S3 server) and no shared MEDIA_ROOT.

One login's session cookie and CSRF token submit against both web processes; every generation
ends once, with one upstream call, and every image reads back through both.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
from django.db import connection
from kombu import Connection

from gallery.models import GeneratedImage, Generation
from mka1_standin.server import StandinServer
from tests.conftest import PROJECT_DIR, WorkerProcess, wait_for, worker_env
from tests.factories import PASSWORD, UserFactory
from tests.test_storage_s3 import free_port

pytestmark = [pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
BUCKET = "mka1-scale-out"
GENERATIONS = 200
# Connections of every process together, the pytest process's included, stay under this.
CONNECTION_LIMIT = 60
WEB_THREADS = 4
WEB_POOL = 4
WORKER_THREADS = 10
WORKER_POOL = 8


@pytest.fixture(scope="module")
def bucket() -> Iterator[dict[str, str]]:
    """moto's S3 server without authentication (so a presigned URL can be followed), and a
    bucket on it."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _answers(endpoint), timeout=30)
        credentials = {"S3_ACCESS_KEY_ID": "portal", "S3_SECRET_ACCESS_KEY": "portal-secret"}
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=credentials["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["S3_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=BUCKET)
        yield {
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": "us-east-1",
            **credentials,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web processes run without DEBUG, so their pages need collected static files."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR), "STATIC_ROOT": str(root)},
        check=True,
    )
    return root


@pytest.fixture
def rabbitmq_queue() -> Iterator[str]:
    """A queue of the test's own on the shared RabbitMQ, deleted afterwards."""
    try:
        with Connection(AMQP_URL, connect_timeout=2) as amqp:
            amqp.ensure_connection(max_retries=1)
    except Exception:
        pytest.fail("RabbitMQ is not running on 127.0.0.1:5672; `make setup` starts it.")
    queue = f"mka1-test-scale-{uuid.uuid4().hex[:8]}"
    yield queue
    with Connection(AMQP_URL) as amqp:
        amqp.default_channel.queue_delete(queue)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


class WebProcess:
    """`gunicorn mka1web.wsgi` on a port of its own."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mka1web.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", str(WEB_THREADS), "--worker-class", "gthread"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_ready(self) -> None:
        wait_for(lambda: _answers(f"{self.url}/accounts/login/"), timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ConnectionWatch:
    """Counts the test database's connections in a thread of its own, keeping the highest."""

    def __init__(self) -> None:
        settings = connection.settings_dict
        self.conninfo = psycopg.conninfo.make_conninfo(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            application_name="mka1-test-connection-watch",
        )
        self.highest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as watcher:
            while not self._stop.wait(0.2):
                row = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                ).fetchone()
                self.highest = max(self.highest, row[0] if row else 0)

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def login(base_url: str, username: str) -> tuple[dict[str, str], str]:
    """Log in once on one web process: its cookies, and the CSRF token of the page after."""
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as browser:
        page = browser.get("/accounts/login/")
        token = _form_token(page.text)
        answer = browser.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert answer.status_code == 302, answer.text[:500]
        # Logging in rotates the CSRF secret: the form token comes from a page after it.
        gallery = browser.get("/")
        assert gallery.status_code == 200
        return dict(browser.cookies), _form_token(gallery.text)


def _form_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def api_calls_by_prompt(standin: StandinServer) -> dict[str, int]:
    calls: dict[str, int] = {}
    for entry in standin.requests:
        if entry["path"].endswith("/images/generations"):
            prompt = (entry.get("body") or {}).get("prompt", "")
            calls[prompt] = calls.get(prompt, 0) + 1
    return calls


def test_two_web_and_two_worker_processes_share_one_database_broker_and_bucket(
    standin, standin_config, settings, bucket, static_root, rabbitmq_queue, tmp_path
) -> None:
    standin_config.latency = (0.05, 0.2)
    # The web processes check passwords with Django's default hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = UserFactory()
    run = uuid.uuid4().hex[:6]

    def env(name: str, pool: int) -> dict[str, str]:
        media = tmp_path / f"media-{name}"
        media.mkdir()
        return worker_env(
            standin,
            media,
            application_name="mka1-test-scale-out",
            CELERY_BROKER_URL=AMQP_URL,
            CELERY_QUEUE=rabbitmq_queue,
            ALLOWED_HOSTS="127.0.0.1",
            STATIC_ROOT=str(static_root),
            DB_POOL_MIN_SIZE="1",
            DB_POOL_MAX_SIZE=str(pool),
            QUOTA_USER_DAILY_IMAGES=str(GENERATIONS * 2),
            GENERATION_MAX_PENDING=str(GENERATIONS),
            **bucket,
        )

    with ConnectionWatch() as watch:
        webs = [WebProcess(env(f"web-{number}", WEB_POOL)) for number in range(2)]
        workers = [
            WorkerProcess(env(f"worker-{number}", WORKER_POOL), WORKER_THREADS, rabbitmq_queue)
            for number in range(2)
        ]
        try:
            for worker in workers:
                worker.start()
            for web in webs:
                web.wait_ready()

            cookies, token = login(webs[0].url, user.username)
            # A new connection for every request: gunicorn closes an idle keep-alive connection
            # after 2 s, and a request sent on it as it closes is reset (an HTTP race, not the
            # portal's).
            fresh = httpx.Limits(max_keepalive_connections=0)
            clients = [
                httpx.Client(
                    base_url=web.url,
                    cookies=cookies,
                    timeout=30,
                    follow_redirects=False,
                    limits=fresh,
                )  # fmt: skip
                for web in webs
            ]
            prompts = [f"lighthouse {run} number {number}" for number in range(GENERATIONS)]

            def submit(number: int) -> int:
                form = {
                    "csrfmiddlewaretoken": token,
                    "prompt": prompts[number],
                    "model": "meetkai:z-image-turbo",
                    "n": "1",
                    "size": "256x256",
                    "quality": "standard",
                    "style": "vivid",
                    "response_format": "b64_json",
                }
                return clients[number % 2].post("/generate/", data=form).status_code

            with ThreadPoolExecutor(max_workers=4) as pool:
                statuses = list(pool.map(submit, range(GENERATIONS)))
            assert statuses == [302] * GENERATIONS

            generations = Generation.objects.filter(user=user)
            assert generations.count() == GENERATIONS

            def all_ended() -> bool:
                """all 200 generations to end"""
                for process in workers:
                    assert process.process is not None and process.process.poll() is None
                return not generations.filter(status__in=Generation.PENDING).exists()

            wait_for(all_ended, timeout=120, interval=0.5)

            assert set(generations.values_list("status", flat=True)) == {"succeeded"}
            images = list(GeneratedImage.objects.filter(generation__user=user))
            assert len(images) == GENERATIONS
            calls = api_calls_by_prompt(standin)
            assert [calls.get(prompt, 0) for prompt in prompts] == [1] * GENERATIONS
            # Both worker processes took a share of the work.
            for worker in workers:
                assert any("run_generation" in line and "succeeded" in line for line in worker.log)

            def read_through_both(image: GeneratedImage) -> set[bytes]:
                seen = set()
                for client in clients:
                    answer = client.get(f"/images/{image.pk}/original")
                    assert answer.status_code == 302, answer.status_code
                    assert answer.headers["location"].startswith(bucket["S3_ENDPOINT_URL"])
                    stored = httpx.get(answer.headers["location"], timeout=30)
                    assert stored.status_code == 200
                    seen.add(stored.content)
                return seen

            with ThreadPoolExecutor(max_workers=8) as pool:
                for seen in pool.map(read_through_both, images):
                    assert len(seen) == 1 and next(iter(seen)).startswith(b"\x89PNG")
            for client in clients:
                client.close()
        finally:
            for web in webs:
                web.stop()
            for worker in workers:
                worker.stop()

    assert watch.highest < CONNECTION_LIMIT
    # Nothing was written beside the bucket.
    assert [path for path in tmp_path.glob("media-*/**/*") if path.is_file()] == []
