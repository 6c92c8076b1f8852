"""A broker outage never turns a saved submission into an error page, and loses nothing.

Submissions go through the real page while a private redis-server, the broker of the page and of
a worker, is killed and started again on the same port. RabbitMQ is shared with the other test
runs on this machine and cannot be stopped here, so the outage is a Redis one.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


class PrivateRedis:
    """A redis-server of the test's own, without persistence, that can die and come back."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.directory)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        wait_for(lambda: subprocess.run(ping, capture_output=True).stdout.strip() == b"PONG")

    def kill(self) -> None:
        """kill -9: the messages it held are gone, as after a crash without persistence."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.kill()


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
    start_worker, private_redis, standin, standin_config, settings, caplog
) -> None:
    standin_config.latency = (0.1, 0.3)
    # What the broker lost when it died comes back through the sweeper within seconds.
    settings.GENERATION_QUEUED_LEASE = 3
    worker = start_worker(
        concurrency=8,
        CELERY_BROKER_URL=private_redis.url,
        SWEEP_INTERVAL="1",
        GENERATION_QUEUED_LEASE="3",
    )
    user = UserFactory()
    client = Client(raise_request_exception=False)
    client.force_login(user)
    statuses: list[int] = []

    def submit_until(moment: float, limit: int) -> int:
        """Submit through the page, one every SUBMIT_EVERY seconds; how many were sent."""
        sent = 0
        while sent < limit and time.monotonic() < moment:
            started = time.monotonic()
            prompt = f"a harbour crane {len(statuses)}"
            statuses.append(client.post(reverse("gallery:generate"), form(prompt)).status_code)
            sent += 1
            time.sleep(max(0.0, SUBMIT_EVERY - (time.monotonic() - started)))
        return sent

    with portal_broker(private_redis.url), caplog.at_level(logging.WARNING):
        submit_until(time.monotonic() + OUTAGE_STARTS, SUBMISSIONS // 4)
        private_redis.kill()
        during_outage = submit_until(time.monotonic() + OUTAGE_SECONDS, SUBMISSIONS // 2)
        private_redis.start()
        submit_until(float("inf"), SUBMISSIONS - len(statuses))

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
