"""The MKA1 API key appears in no page, log line, error report, row or task message.

A distinctive key is given to the portal, the worker processes and the stand-in; every page,
log line (this process's and the workers' output, at DEBUG), stored row and broker message
produced by a normal run, a refused key (401), an upstream 500, a worker killed mid-call and a
DEBUG error page is searched for it.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import uuid
from collections.abc import Iterable
from typing import Any

import pytest
import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from gallery.mka1 import ImageRequest, MKA1Client
from gallery.models import Generation, MissingImage
from gallery.values import GenerationParams
from mka1web.urls import urlpatterns as project_urlpatterns
from tests.conftest import wait_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

KEY = f"mka1-key-{uuid.uuid4().hex}"
KILL_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": "6",
    "CELERY_RESTORE_INTERVAL": "1",
    "CELERY_RESTORE_THROTTLE": "1",
}
FORM = {
    "model": "meetkai:z-image-turbo",
    "n": 2,
    "size": "256x256",
    "quality": "standard",
    "style": "vivid",
    "response_format": "b64_json",
}


@pytest.fixture
def secret_key(settings, standin_config, caplog) -> str:  # type: ignore[no-untyped-def]
    settings.MKA1_API_KEY = KEY
    standin_config.api_key = KEY
    caplog.set_level(logging.DEBUG)
    return KEY


def assert_key_absent(texts: Iterable[tuple[str, str | bytes]]) -> int:
    """Every labelled text searched; the labels of those that hold the key are the failure."""
    searched, leaks = 0, []
    for label, text in texts:
        searched += 1
        found = KEY.encode() in text if isinstance(text, bytes) else KEY in text
        if found:
            leaks.append(label)
    assert leaks == [], f"the API key appears in: {leaks}"
    return searched


def submit(client: Client, prompt: str) -> Generation:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("gallery:generate"), {**FORM, "prompt": prompt})
    assert response.status_code == 302
    return Generation.objects.get(user=user)


def settled(generation: Generation, timeout: float = 60) -> Generation:
    def finished() -> Generation | None:
        """the generation to finish"""
        row = Generation.objects.get(pk=generation.pk)
        return None if row.is_pending else row

    return wait_for(finished, timeout=timeout)


def traces(client: Client, admin: Client, generation: Generation) -> list[tuple[str, Any]]:
    """Every page about the generation, for its owner and in the admin, and its rows."""
    pk = generation.pk
    pages = {
        "gallery": reverse("gallery:index"),
        "generation page": reverse("gallery:generation", args=[pk]),
        "generation card": reverse("gallery:generation-card", args=[pk]),
        "usage": reverse("gallery:usage"),
    }
    for image in generation.images.all():
        pages[f"image {image.index}"] = reverse("gallery:image", args=[image.pk])
    found: list[tuple[str, Any]] = []
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        found.append((label, response.content))
    admin_pages = {
        "admin generation": reverse("admin:gallery_generation_change", args=[pk]),
        "admin generations": reverse("admin:gallery_generation_changelist"),
    }
    for image in generation.images.all():
        admin_pages[f"admin image {image.index}"] = reverse(
            "admin:gallery_generatedimage_change", args=[image.pk]
        )
    for label, url in admin_pages.items():
        response = admin.get(url)
        assert response.status_code == 200, (label, response.status_code)
        found.append((label, response.content))
    row = Generation.objects.filter(pk=pk).values().get()
    found.append(("generation row", json.dumps(row, default=str)))
    missing = list(MissingImage.objects.filter(generation_id=pk).values())
    found.append(("missing images", json.dumps(missing, default=str)))
    return found


@pytest.fixture
def admin() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_key_is_nowhere_after_a_run_a_refused_key_and_an_upstream_500(
    secret_key, start_worker, standin_config, caplog, admin
) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(LOG_LEVEL="DEBUG")
    found: list[tuple[str, Any]] = []

    client = Client()
    done = settled(submit(client, "a lighthouse keeper's breakfast"))
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    found += traces(client, admin, done)

    standin_config.api_key = "a key the image service does not know"
    client = Client()
    refused = settled(submit(client, "a lighthouse in a storm"))
    assert (refused.status, refused.error_kind) == ("failed", "auth")
    found += traces(client, admin, refused)
    standin_config.api_key = KEY

    standin_config.fail_next = [{"status": 500}] * 3
    client = Client()
    broken = settled(submit(client, "a lighthouse at noon"))
    assert (broken.status, broken.error_kind, broken.attempts) == ("failed", "upstream", 3)
    found += traces(client, admin, broken)

    found += [("this process's log", caplog.text), ("worker output", "".join(worker.log))]
    # The worker did log the refusal: its log is not empty of what matters.
    assert f"Generation {refused.pk} failed upstream" in "".join(worker.log)
    print(f"searched {assert_key_absent(found)} pages, rows and logs")


def test_the_key_is_nowhere_after_a_worker_is_killed_mid_call(
    secret_key, start_worker, standin, standin_config, caplog, admin
) -> None:  # type: ignore[no-untyped-def]
    standin_config.latency = (2.0, 2.0)
    first = start_worker(LOG_LEVEL="DEBUG", **KILL_ENV)
    client = Client()
    generation = submit(client, "a fragile glass lighthouse")
    wait_for(lambda: any(r["path"].endswith("/generations") for r in standin.requests))
    first.kill()
    replacement = start_worker(LOG_LEVEL="DEBUG", **KILL_ENV)
    done = settled(generation, timeout=90)
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    assert done.claims == 2

    found = traces(client, admin, done)
    found += [
        ("this process's log", caplog.text),
        ("killed worker output", "".join(first.log)),
        ("replacement worker output", "".join(replacement.log)),
    ]
    print(f"searched {assert_key_absent(found)} pages, rows and logs")


def test_the_task_message_on_the_broker_carries_only_the_generations_id(
    secret_key, settings
) -> None:  # type: ignore[no-untyped-def]
    # A queue no worker reads, so the message stays on the broker to be looked at.
    queue = f"mka1-test-unread-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        generation = submit(Client(), "a lighthouse that nobody draws")
        raw = wait_for(lambda: broker.lrange(queue, 0, -1), timeout=10)
        (message,) = raw
        body = json.loads(base64.b64decode(json.loads(message)["body"]))
        assert body[0] == [generation.pk] and body[1] == {}
        assert_key_absent([("broker message", message), ("task body", json.dumps(body))])
    finally:
        broker.delete(queue)


# -- a DEBUG error page from a request that calls the API --------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call_the_unreachable_api(request: HttpRequest) -> HttpResponse:
    """A view whose call to the API fails and lets the error out (as a bug would)."""
    params = GenerationParams(
        "a cat", "meetkai:z-image-turbo", 1, "256x256", "standard", "vivid", "b64_json"
    )
    client = MKA1Client(base_url=f"http://127.0.0.1:{closed_port()}")
    client.generate(ImageRequest(params, "1"), max_attempts=1)
    return HttpResponse("unreachable")


def fail_holding_the_key(request: HttpRequest) -> HttpResponse:
    """A view that fails with the key in a variable named like nothing secret."""
    upstream = {"authorization": f"Bearer {settings.MKA1_API_KEY}"}
    raise RuntimeError(f"gave up after sending {len(upstream)} headers")


urlpatterns = [
    *project_urlpatterns,
    path("test/call-api/", call_the_unreachable_api),
    path("test/holding-the-key/", fail_holding_the_key),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/test/call-api/", "/test/holding-the-key/"])
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_error_page_hides_the_key(
    secret_key, settings, caplog, url: str, accept: str
) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    # Under runserver the process environment is part of every request's META.
    response = client.get(url, HTTP_ACCEPT=accept, MKA1_API_KEY=KEY)
    assert response.status_code == 500
    page = response.content.decode()
    # Django's technical page, with the settings and the frames' variables.
    assert "MKA1_API_KEY" in page and "Traceback" in page
    assert ("MKA1Error" if "call-api" in url else "RuntimeError") in page
    assert_key_absent([("error page", page), ("this process's log", caplog.text)])
