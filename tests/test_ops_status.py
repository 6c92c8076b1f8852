"""The administrators' status page: who may open it, and each figure it shows, from real data
(generations in the database, messages in the broker, heartbeats of a running worker)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from gallery.models import Generation
from gallery.services import generation_submit
from gallery.values import GenerationParams
from mka1web.celery import app
from ops.selectors import broker_queue_depth
from tests.conftest import WorkerProcess, wait_for
from tests.factories import GenerationFactory, UserFactory
from tests.ops_processes import free_port

pytestmark = pytest.mark.restapi

STATUS = "/ops/status/"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"


def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    return client


def page(client: Client | None = None) -> str:
    response = (client or staff_client()).get(STATUS)
    assert response.status_code == 200
    return response.content.decode()


def cell(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} in the page"
    return found.group(1).strip()


def made_at(moment: datetime, **fields: object) -> Generation:
    generation = GenerationFactory(**fields)
    Generation.objects.filter(pk=generation.pk).update(created_at=moment)
    return generation


@pytest.mark.django_db
def test_only_staff_open_the_status_page_and_others_do_not_learn_it_exists() -> None:
    assert reverse("ops:status") == STATUS
    anonymous = Client().get(STATUS)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    member = Client()
    member.force_login(UserFactory())
    assert member.get(STATUS).status_code == 404
    assert 'href="/ops/status/"' not in member.get("/").content.decode()
    superuser = Client()
    superuser.force_login(User.objects.create_superuser("root", "root@example.com", "x" * 12))
    assert superuser.get(STATUS).status_code == 200
    staff = staff_client()
    assert 'href="/ops/status/"' in staff.get("/").content.decode()
    assert staff.get(STATUS).status_code == 200


@pytest.mark.django_db
def test_generations_per_hour_cover_the_last_24_hours(
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for moment, count in (
        (hour, 2),
        (hour - timedelta(hours=2), 3),
        (hour - timedelta(hours=23), 1),
    ):
        for _ in range(count):
            made_at(moment)
    made_at(hour - timedelta(hours=23, seconds=1))  # before the first hour shown
    client = staff_client()
    with django_assert_max_num_queries(12):
        html = page(client)
    rows = re.findall(r'<tr><td>([^<]+)</td><td class="number">(\d+)</td>', html)
    assert len(rows) == 24
    counts = {label: int(count) for label, count in rows}
    label = "{:%Y-%m-%d %H}:00 UTC".format
    assert counts[label(hour)] == 2
    assert counts[label(hour - timedelta(hours=2))] == 3
    assert counts[label(hour - timedelta(hours=23))] == 1
    assert sum(counts.values()) == 6
    assert cell(html, "submitted") == "6"
    assert '<meter min="0" max="3" value="3">' in html


@pytest.mark.django_db
def test_failure_rate_by_kind_over_the_last_24_hours() -> None:
    now = timezone.now()
    statuses = [
        *[(Generation.Status.SUCCEEDED, "")] * 6,
        *[(Generation.Status.FAILED, "timeout")] * 2,
        (Generation.Status.REFUSED, "content_policy"),
        (Generation.Status.CANCELED, ""),
    ]
    for status, kind in statuses:
        made_at(now - timedelta(hours=1), status=status, error_kind=kind)
    made_at(now - timedelta(hours=30), status=Generation.Status.FAILED, error_kind="auth")
    html = page()
    assert cell(html, "ended") == "9"
    assert cell(html, "failure-rate") == "33.3"
    rows = re.findall(
        r'<tr><td>([^<]+)</td><td class="number">(\d+)</td><td class="number">([\d.]+)%</td>',
        html,
    )
    assert rows == [("Timeout", "2", "22.2"), ("Content policy", "1", "11.1")]


@pytest.mark.django_db
def test_the_page_says_whether_the_stand_in_or_the_real_api_answers(settings) -> None:  # type: ignore[no-untyped-def]
    html = page()
    assert "The <strong>stand-in</strong> answers at http://127.0.0.1:" in html
    settings.MKA1_API_URL = "https://api.mka1.example.com/v1"
    html = page()
    assert "The <strong>real MKA1 API</strong> at https://api.mka1.example.com." in html
    assert "stand-in" not in cell(html, "image-api")


@pytest.mark.django_db(transaction=True)
def test_queue_depth_counts_the_generations_waiting_in_redis(settings) -> None:  # type: ignore[no-untyped-def]
    queue = f"mka1-unconsumed-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    user = UserFactory()
    params = GenerationParams(
        prompt="a quiet harbour", model="meetkai:z-image-turbo", n=1, size="256x256",
        quality="standard", style="vivid", response_format="url",
    )  # fmt: skip
    try:
        for _ in range(3):
            generation_submit(user=user, params=params)
        html = page()
        assert cell(html, "queue-depth") == "3"
        assert cell(html, "pending-queued") == "3"
        assert cell(html, "pending-running") == "0"
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)


@pytest.mark.django_db
def test_queue_depth_on_rabbitmq(settings) -> None:  # type: ignore[no-untyped-def]
    try:
        with Connection(AMQP_URL, connect_timeout=2) as amqp:
            amqp.ensure_connection(max_retries=1)
    except Exception:  # noqa: BLE001
        pytest.skip("No RabbitMQ on 127.0.0.1:5672")
    queue = f"mka1-unconsumed-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = AMQP_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    with Connection(AMQP_URL) as amqp:
        waiting = amqp.SimpleQueue(queue)
        try:
            for number in range(2):
                waiting.put({"number": number})
            wait_for(lambda: broker_queue_depth() == 2)
            assert cell(page(), "queue-depth") == "2"
        finally:
            waiting.close()
            amqp.default_channel.queue_delete(queue)


@pytest.mark.django_db
def test_queue_depth_when_the_broker_does_not_answer(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    assert cell(page(), "queue-depth") == "the broker does not answer"


@pytest.mark.django_db(transaction=True)
def test_workers_seen_from_their_heartbeats(
    start_worker: Callable[..., WorkerProcess],
) -> None:
    worker = start_worker(concurrency=1, WORKER_HEARTBEAT_SECONDS="1")
    client = staff_client()

    def state() -> str | None:
        found = re.search(rf"<tr><td>{re.escape(worker.name)}</td><td>(\w+)</td>", page(client))
        return found.group(1) if found else None

    def up_counted_as_shown(html: str) -> bool:
        # The suite's own shared worker may be up too, or not yet beaten since a table flush:
        # the count must match the rows of the same page, whatever they are.
        shown_up = len(re.findall(r"<tr><td>[^<]*</td><td>up</td>", html))
        return cell(html, "workers-up") == str(shown_up)

    assert wait_for(lambda: state() == "up")
    html = page(client)
    assert f"<tr><td>{worker.name}</td><td>up</td>" in html
    assert up_counted_as_shown(html)
    worker.stop()
    html = page(client)
    assert f"<tr><td>{worker.name}</td><td>stopped</td>" in html
    assert up_counted_as_shown(html)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_outright_is_shown_missing_once_its_heartbeats_stop(
    start_worker: Callable[..., WorkerProcess],
    settings,  # type: ignore[no-untyped-def]
) -> None:
    # The page and the workers read the same setting, as in a deployment.
    settings.WORKER_HEARTBEAT_SECONDS = 1.0
    worker = start_worker(concurrency=1, WORKER_HEARTBEAT_SECONDS="1")
    client = staff_client()
    row = re.compile(rf"<tr><td>{re.escape(worker.name)}</td><td>(\w+)</td>")

    def state() -> str | None:
        found = row.search(page(client))
        return found.group(1) if found else None

    assert wait_for(lambda: state() == "up")
    worker.kill()
    assert wait_for(lambda: state() == "missing")
