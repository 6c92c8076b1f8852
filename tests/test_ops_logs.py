"""LOG_FORMAT=json: every line a worker or gunicorn writes is a JSON object; the pipeline's
lines (Celery's own included) carry the generation, the user and the request that submitted
it; a request's lines carry its request id; the API key appears nowhere."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gallery.models import Generation
from mka1_standin.server import StandinConfig, StandinServer
from mka1web.celery import app
from telemetry import context
from telemetry.logs import REDACTED, ContextFilter, RedactSecrets, json_formatter
from tests.conftest import wait_for, worker_env
from tests.factories import UserFactory
from tests.ops_processes import Process, celery_worker, gunicorn

pytestmark = pytest.mark.restapi


def json_lines(*texts: str) -> list[dict[str, Any]]:
    """Each line parsed; a line that is not a JSON object fails the test with the line."""
    records = []
    for text in texts:
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                pytest.fail(f"Not a JSON line: {line!r}")
            assert isinstance(record, dict), line
            records.append(record)
    return records


def form() -> dict[str, object]:
    return {
        "prompt": "a paper boat on a puddle",
        "model": "meetkai:z-image-turbo",
        "n": 1,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "url",
    }


@pytest.mark.django_db(transaction=True)
def test_worker_lines_are_json_and_the_pipeline_lines_name_generation_user_and_request(
    client: Client,
    standin: StandinServer,
    standin_config: StandinConfig,
    media_root: Path,
    tmp_path: Path,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    queue = f"mka1-test-logs-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    env = worker_env(standin, media_root, CELERY_QUEUE=queue, LOG_FORMAT="json")
    user = UserFactory()
    client.force_login(user)
    # One failed attempt, so the client's retry line is among the pipeline's.
    standin_config.fail_next = [{"status": 503, "retry_after": 0}]
    worker: Process
    with celery_worker(env, tmp_path, queue) as worker:
        response = client.post(reverse("gallery:generate"), form(), HTTP_X_REQUEST_ID="req-logs-1")
        assert response.status_code == 302
        assert response["X-Request-ID"] == "req-logs-1"
        generation = Generation.objects.get(user=user)
        wait_for(lambda: not Generation.objects.get(pk=generation.pk).is_pending)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_delete(queue)

    assert Generation.objects.get(pk=generation.pk).status == Generation.Status.SUCCEEDED
    records = json_lines(worker.stderr.read_text())
    assert any(record["message"].endswith(" ready.") for record in records)
    assert {"time", "level", "logger", "message"} <= set(records[0])

    def lines_of(logger: str, text: str) -> list[dict[str, Any]]:
        return [r for r in records if r["logger"] == logger and text in r["message"]]

    pipeline = [
        *lines_of("gallery.mka1", "retrying"),
        *lines_of(
            "gallery.services.pipeline", f"Generation {generation.pk} succeeded with 1 images"
        ),
        *lines_of("celery.app.trace", "succeeded in"),
    ]
    assert len(pipeline) == 3, records
    for record in pipeline:
        assert record["generation_id"] == generation.pk
        assert record["user_id"] == user.pk
        assert record["request_id"] == "req-logs-1"
    assert settings.MKA1_API_KEY not in worker.output()


@pytest.mark.django_db(transaction=True)
def test_a_requests_lines_carry_its_request_id(
    standin: StandinServer, media_root: Path, tmp_path: Path
) -> None:
    user = UserFactory()
    login = Client()
    login.force_login(user)
    cookies = {"sessionid": login.cookies["sessionid"].value}
    env = worker_env(standin, media_root, LOG_FORMAT="json")
    with gunicorn(env, tmp_path) as portal, httpx.Client(base_url=portal.url) as http:
        given = http.get(
            "/generations/999999999/", cookies=cookies, headers={"X-Request-ID": "req-web-42"}
        )
        made = http.get("/no-such-page/")
    assert given.status_code == 404 and made.status_code == 404
    assert given.headers["X-Request-ID"] == "req-web-42"
    generated = made.headers["X-Request-ID"]

    records = json_lines(portal.stdout.read_text(), portal.stderr.read_text())
    assert any(record["logger"] == "gunicorn.error" for record in records)
    for request_id, path in (
        ("req-web-42", "/generations/999999999/"),
        (generated, "/no-such-page/"),
    ):
        lines = {r["logger"]: r for r in records if r.get("request_id") == request_id}
        assert set(lines) == {"django.request", "gunicorn.access"}, records
        assert path in lines["django.request"]["message"]
        assert path in lines["gunicorn.access"]["message"]
    owned = [r for r in records if r.get("request_id") == "req-web-42"]
    assert all(record["user_id"] == user.pk for record in owned)


def test_the_api_key_is_masked_wherever_a_line_would_show_it() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecrets())
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("tests.ops.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    key = settings.MKA1_API_KEY
    try:
        with context.bound(request_id="req-secret", generation_id=7):
            logger.warning("Upstream said: bad key %s", key)
            try:
                raise ValueError(f"Authorization: Bearer {key}")
            except ValueError:
                logger.exception("The call failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert key not in output
    first, second = json_lines(output)
    assert first["message"] == f"Upstream said: bad key {REDACTED}"
    assert first["request_id"] == "req-secret" and first["generation_id"] == 7
    assert f"Bearer {REDACTED}" in second["exc_info"]
