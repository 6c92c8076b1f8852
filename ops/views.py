"""The operators' endpoints: probes for the load balancer, metrics for Prometheus, and the
status page for administrators."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from .decorators import staff_required
from .readiness import readiness
from .scrape import metrics_page
from .selectors import portal_status


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up: nothing is asked of the database or the broker."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Each check's name, ok or fail, and time; 503 unless all are ok."""
    results = readiness()
    checks = {
        result.name: {"status": "ok" if result.ok else "fail", "ms": result.ms}
        for result in results
    }
    return JsonResponse(checks, status=200 if all(result.ok for result in results) else 503)


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape, with METRICS_TOKEN as a bearer token; no endpoint without one."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("No such page.")
    if not hmac.compare_digest(_bearer_token(request).encode(), expected.encode()):
        response = HttpResponse("A valid bearer token is needed.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_page(), content_type=CONTENT_TYPE_LATEST)


@staff_required
@require_safe
def status(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/status.html", {"status": portal_status()})
