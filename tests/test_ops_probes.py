"""The load balancer's probes: /healthz (the process is up) and /readyz (the database, the
broker and the storage answer), for any Host header and over plain HTTP."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.ops_processes import free_port

pytestmark = [pytest.mark.restapi, pytest.mark.django_db]

PROBE_HOST = "10.0.0.5:8000"


def test_healthz_answers_a_probe_by_address_while_other_paths_refuse_that_host(
    client: Client, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/", HTTP_HOST=PROBE_HOST).status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST=PROBE_HOST).status_code == 400
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST=PROBE_HOST)
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_each_check_by_name_with_its_time(client: Client) -> None:
    response = client.get("/readyz", HTTP_HOST=PROBE_HOST)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"database", "broker", "storage"}
    for check in body.values():
        assert set(check) == {"status", "ms"}
        assert check["status"] == "ok"
        assert isinstance(check["ms"], int) and check["ms"] >= 0


def test_readyz_with_the_broker_down_is_503_and_keeps_the_reason_for_the_log(
    client: Client, settings, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_BROKER_URL = f"redis://:probe-secret-word@127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING, logger="ops.readiness"):
        response = client.get("/readyz", HTTP_HOST=PROBE_HOST)
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["status"] == "fail"
    assert body["database"]["status"] == "ok" and body["storage"]["status"] == "ok"
    assert {key for check in body.values() for key in check} == {"status", "ms"}
    text = response.content.decode()
    for detail in ("Error", "refused", "111", "redis", "probe-secret-word"):
        assert detail not in text
    logged = caplog.text
    assert "broker check failed: OperationalError" in logged
    assert "refused" in logged
    assert "probe-secret-word" not in logged


def test_probes_take_only_get_and_head(client: Client) -> None:
    assert client.head("/healthz", HTTP_HOST=PROBE_HOST).status_code == 200
    assert client.post("/healthz", HTTP_HOST=PROBE_HOST).status_code == 405
    assert client.post("/readyz", HTTP_HOST=PROBE_HOST).status_code == 405


def test_probes_and_the_scrape_are_not_redirected_to_https(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["studio.example.com", "10.0.0.5"]
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    login = client.get("/accounts/login/", HTTP_HOST="studio.example.com")
    assert login.status_code == 301
    assert login["Location"] == "https://studio.example.com/accounts/login/"
    assert client.get("/healthz", HTTP_HOST=PROBE_HOST).status_code == 200
    assert client.get("/readyz/", HTTP_HOST=PROBE_HOST).status_code == 200
    # The scrape goes through the whole middleware stack: the exemption is SecurityMiddleware's.
    scrape = client.get(
        "/metrics", HTTP_HOST=PROBE_HOST, HTTP_AUTHORIZATION="Bearer scrape-token-0123456789"
    )
    assert scrape.status_code == 200


def test_probe_urls_have_names_for_reverse() -> None:
    assert reverse("ops:healthz") == "/healthz"
    assert reverse("ops:readyz") == "/readyz"


def test_every_response_carries_its_request_id(client: Client) -> None:
    given = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a.2")
    assert given["X-Request-ID"] == "lb-7f3a.2"
    made = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert made["X-Request-ID"] != "<script>alert(1)</script>"
    assert re.fullmatch(r"[0-9a-f]{32}", made["X-Request-ID"])
