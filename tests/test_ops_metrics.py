"""/metrics: refused without its token; under gunicorn with a Celery worker sharing the
multiprocess directory, it shows what both counted (requests by view, generations, the API's
latency and retries, images and bytes stored) and what it reads at scrape time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db.models import Sum
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from gallery.models import GeneratedImage, Generation
from gallery.services import generation_submit
from gallery.values import GenerationParams
from mka1_standin.server import StandinConfig, StandinServer
from mka1web.celery import app
from tests.conftest import wait_for, worker_env
from tests.factories import UserFactory
from tests.ops_processes import Portal, celery_worker, gunicorn

pytestmark = pytest.mark.restapi

TOKEN = "metrics-token-4f1c9a7e2b"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition text, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_configured_token(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
def test_metrics_refuse_a_missing_or_wrong_token(
    client: Client, settings, authorization: str | None
) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"mka1_" not in response.content


@pytest.mark.django_db
def test_requests_are_counted_by_the_url_name_of_their_view(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = TOKEN
    scrape = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    def login_pages() -> float:
        found = samples(client.get("/metrics", **scrape).content.decode())
        return value(found, "mka1_http_requests_total", view="login", status="200") or 0.0

    before = login_pages()
    client.get("/accounts/login/")
    client.get("/accounts/login/?next=/trash/")
    client.get(f"/no-such-page-{uuid.uuid4().hex}/")
    found = samples(client.get("/metrics", **scrape).content.decode())
    assert value(found, "mka1_http_requests_total", view="login", status="200") == before + 2
    assert value(found, "mka1_http_requests_total", view="unmatched", status="404")
    # Labels are URL names, never raw paths.
    assert not [key for key in found if any("/" in label for _, label in key[1])]


@pytest.fixture
def deployment(
    transactional_db: None, standin: StandinServer, media_root: Path, tmp_path: Path, settings
) -> Iterator[Portal]:  # type: ignore[no-untyped-def]
    """gunicorn (two worker processes) and a Celery worker on one host, sharing a metrics
    directory, on a queue of the test's own."""
    queue = f"mka1-test-ops-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    directory = tmp_path / "prometheus"
    env = worker_env(
        standin,
        media_root,
        CELERY_QUEUE=queue,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        METRICS_TOKEN=TOKEN,
    )
    with celery_worker(env, tmp_path, queue), gunicorn(env, tmp_path) as portal:
        yield portal
    with app.connection_for_write() as connection:
        connection.default_channel.queue_delete(queue)


def ended(generation_id: int) -> Generation | None:
    generation = Generation.objects.get(pk=generation_id)
    return None if generation.is_pending else generation


def test_the_scrape_sums_what_web_and_worker_processes_counted(
    deployment: Portal, standin_config: StandinConfig, settings
) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    params = dict(
        model="meetkai:z-image-turbo", n=2, size="256x256", quality="standard", style="vivid",
        response_format="b64_json",
    )  # fmt: skip
    # The first call fails (503) and is tried again; the second generation is refused.
    standin_config.fail_next = [{"status": 503, "retry_after": 0}]
    first = generation_submit(user=user, params=GenerationParams(prompt="a tin robot", **params))
    done = wait_for(lambda: ended(first.pk))
    assert done.status == Generation.Status.SUCCEEDED and done.attempts == 2
    refused = generation_submit(
        user=user, params=GenerationParams(prompt="a forbidden picture", **params)
    )
    assert wait_for(lambda: ended(refused.pk)).status == Generation.Status.REFUSED

    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=deployment.url, timeout=30) as http:
        assert http.get("/metrics").status_code == 401
        for _ in range(3):
            assert http.get("/", follow_redirects=False).status_code == 302
        assert http.get("/metrics", headers=auth).status_code == 200
        response = http.get("/metrics", headers=auth)
    assert response.status_code == 200
    found = samples(response.text)

    # From the Celery worker's process.
    assert value(found, "mka1_generations_total", status="succeeded", error_kind="") == 1
    assert (
        value(found, "mka1_generations_total", status="refused", error_kind="content_policy") == 1
    )
    assert value(found, "mka1_api_retries_total", error_kind="upstream") == 1
    assert value(found, "mka1_api_call_seconds_count", outcome="ok") == 1
    assert value(found, "mka1_api_call_seconds_count", outcome="upstream") == 1
    assert value(found, "mka1_api_call_seconds_count", outcome="content_policy") == 1
    assert value(found, "mka1_api_call_seconds_bucket", outcome="ok", le="+Inf") == 1
    assert value(found, "mka1_api_call_seconds_bucket", outcome="ok", le="150.0") == 1
    assert value(found, "mka1_images_stored_total") == 2
    originals = GeneratedImage.objects.filter(generation=first).aggregate(total=Sum("byte_size"))
    assert value(found, "mka1_image_bytes_stored_total", file="original") == originals["total"]
    assert (value(found, "mka1_image_bytes_stored_total", file="thumbnail") or 0) > 0

    # From gunicorn's two worker processes, summed, by URL name.
    assert value(found, "mka1_http_requests_total", view="gallery:index", status="302") == 3
    assert value(found, "mka1_http_requests_total", view="ops:metrics", status="401") == 1
    assert value(found, "mka1_http_requests_total", view="ops:metrics", status="200") == 1

    # Read at scrape time from the broker and the database.
    assert value(found, "mka1_queue_depth", queue=settings.CELERY_TASK_DEFAULT_QUEUE) == 0
    assert value(found, "mka1_generations_pending", status="queued") == 0
    assert value(found, "mka1_generations_pending", status="running") == 0
    assert value(found, "mka1_image_api_standin") == 1
