"""A broker outage never turns a saved submission into an error page, and loses nothing.

Submissions go through the real page while the broker of the page and of a worker is killed
(kill -9) and started again on the same port: a private redis-server, and a private RabbitMQ
node (a name, ports and data directory of its own, beside the shared node the other test runs
use, which is never touched).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from gallery.models import Export, Generation
from mka1_standin.server import StandinServer
from mka1web.celery import app as celery_app
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.test_storage_s3 import free_port

pytestmark = [pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]

SUBMISSIONS = 120
OUTAGE_STARTS = 1.0
OUTAGE_SECONDS = 4.0
# Submissions are spread out so that a good share of them fall inside the outage.
SUBMIT_EVERY = 0.05


class PrivateBroker:
    """A broker process of the test's own that can die and come back on the same port."""

    url: str
    port: int

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        raise NotImplementedError

    def launch(self) -> None:
        command, env = self.command()
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def answers(self) -> bool:
        try:
            with Connection(self.url, connect_timeout=2) as broker:
                broker.ensure_connection(max_retries=1)
        except Exception:
            return False
        return True

    def start(self) -> None:
        self.launch()
        wait_for(self.answers, timeout=60, interval=0.2)

    def kill(self) -> None:
        """kill -9 of the broker and any child of it."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class PrivateRedis(PrivateBroker):
    """Without persistence: what it held is gone after a crash."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.directory)], None  # fmt: skip


class PrivateRabbitMQ(PrivateBroker):
    """A node run as the rabbitmq user on a data directory that survives its restarts."""

    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.directory = Path(tempfile.mkdtemp(prefix="mka1-test-rabbitmq-"))
        config = self.directory / "rabbitmq.conf"
        config.write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.directory / "enabled_plugins").write_text("[].\n")
        (self.directory / "rabbitmq-env.conf").write_text("")
        subprocess.run(["chown", "-R", "rabbitmq:rabbitmq", str(self.directory)], check=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/var/lib/rabbitmq",
            "RABBITMQ_NODENAME": f"mka1-test-{uuid.uuid4().hex[:8]}@localhost",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            # Not the shared node's files in /etc/rabbitmq: its port, plugins and name.
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(config),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_PID_FILE": str(self.directory / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        return ["runuser", "-u", "rabbitmq", "--", "rabbitmq-server"], self.env

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(params=["redis", "rabbitmq"])
def private_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrivateBroker]:
    broker: PrivateBroker
    if request.param == "redis":
        broker = PrivateRedis(tmp_path)
    else:
        if os.geteuid() != 0 or not shutil.which("rabbitmq-server"):
            pytest.skip("A private RabbitMQ node needs rabbitmq-server and root (runuser).")
        broker = PrivateRabbitMQ()
    try:
        broker.start()
        yield broker
    finally:
        broker.kill()
        if isinstance(broker, PrivateRabbitMQ):
            broker.remove()


def _point_portal_at(url: str) -> None:
    # Under the settings' own name, which Celery reads before its lowercase one.
    celery_app.conf.CELERY_BROKER_URL = url
    # The pools were made for the old URL; the next publish takes (or makes) those of the new one.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def portal_broker(url: str) -> Iterator[None]:
    """This process's Celery app (the one the page publishes with) on another broker."""
    saved = celery_app.conf.broker_url
    _point_portal_at(url)
    try:
        yield
    finally:
        _point_portal_at(saved)


def form(prompt: str) -> dict[str, object]:
    return {
        "prompt": prompt,
        "model": "meetkai:z-image-turbo",
        "n": 1,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "b64_json",
    }


def api_calls(standin: StandinServer, prompt: str) -> int:
    return sum(
        1
        for entry in standin.requests
        if entry["path"].endswith("/images/generations")
        and (entry.get("body") or {}).get("prompt") == prompt
    )


def test_submissions_during_a_broker_outage_are_queued_and_end_once(
    start_worker, private_broker, standin, standin_config, settings, caplog
) -> None:
    standin_config.latency = (0.1, 0.3)
    # What the broker lost when it died comes back through the sweeper within seconds.
    settings.GENERATION_QUEUED_LEASE = 3
    # One user submits them all, and many wait for the broker at once.
    settings.GENERATION_MAX_PENDING = SUBMISSIONS
    worker = start_worker(
        concurrency=8,
        CELERY_BROKER_URL=private_broker.url,
        SWEEP_INTERVAL="1",
        GENERATION_QUEUED_LEASE="3",
    )
    user = UserFactory()
    client = Client(raise_request_exception=False)
    client.force_login(user)
    statuses: list[int] = []

    def submit_while(going_on: Callable[[], bool], limit: int) -> int:
        """Submit through the page, one every SUBMIT_EVERY seconds; how many were sent."""
        sent = 0
        while sent < limit and going_on():
            started = time.monotonic()
            prompt = f"a harbour crane {len(statuses)}"
            statuses.append(client.post(reverse("gallery:generate"), form(prompt)).status_code)
            sent += 1
            time.sleep(max(0.0, SUBMIT_EVERY - (time.monotonic() - started)))
        return sent

    def until(seconds: float) -> Callable[[], bool]:
        moment = time.monotonic() + seconds
        return lambda: time.monotonic() < moment

    def down() -> bool:
        return not private_broker.listening()

    with portal_broker(private_broker.url), caplog.at_level(logging.WARNING):
        submit_while(until(OUTAGE_STARTS), SUBMISSIONS // 4)
        private_broker.kill()
        during_outage = submit_while(until(OUTAGE_SECONDS), SUBMISSIONS // 2)
        # RabbitMQ takes seconds to boot: the page goes on being used until it listens.
        private_broker.launch()
        during_outage += submit_while(down, SUBMISSIONS // 2 - during_outage)
        wait_for(private_broker.answers, timeout=60, interval=0.2)
        submit_while(lambda: True, SUBMISSIONS - len(statuses))

        generations = Generation.objects.filter(user=user)

        def all_ended() -> bool:
            """every submission's generation to end"""
            assert worker.process.poll() is None, "".join(worker.log[-60:])
            return not generations.filter(status__in=Generation.PENDING).exists()

        wait_for(all_ended, timeout=90, interval=0.5)

    assert [status for status in statuses if status >= 500] == []
    assert statuses == [302] * SUBMISSIONS
    # The page was used during the outage, and the broker refused what it sent then.
    refused = [
        r for r in caplog.records if "did not take gallery.tasks.run_generation" in r.message
    ]
    assert during_outage and refused
    assert generations.count() == SUBMISSIONS
    assert set(generations.values_list("status", flat=True)) == {Generation.Status.SUCCEEDED}
    for generation in generations.prefetch_related("images"):
        assert [image.index for image in generation.images.all()] == [0]
        assert api_calls(standin, generation.prompt) == 1, generation.prompt
    assert worker.process.poll() is None


def test_a_refused_publish_is_logged_without_the_password_and_left_to_the_sweeper(
    client, settings, caplog
) -> None:
    settings.GENERATION_QUEUED_LEASE = 600
    user = UserFactory()
    client.force_login(user)
    nobody_listens = f"redis://:broker-secret@127.0.0.1:{free_port()}/0"
    with portal_broker(nobody_listens), caplog.at_level(logging.WARNING):
        response = client.post(reverse("gallery:generate"), form("a lantern on a pier"))
    assert response.status_code == 302
    generation = Generation.objects.get(user=user)
    assert generation.status == Generation.Status.QUEUED
    # Due now, so the next sweep sends it, not the one after the ten-minute queued lease.
    assert Generation.objects.stuck(timezone.now()).filter(pk=generation.pk).exists()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"run_generation({generation.pk})" in logged
    assert "broker-secret" not in logged


def test_an_export_the_broker_refuses_fails_with_a_reason(client, settings) -> None:
    user = UserFactory()
    client.force_login(user)
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    with portal_broker(nobody_listens):
        response = client.post(reverse("gallery:export-search"), {"query_string": ""})
    export = Export.objects.get(user=user)
    assert response.status_code == 302
    assert export.status == Export.Status.FAILED
    assert "could not be queued" in client.get(response["Location"]).content.decode()
