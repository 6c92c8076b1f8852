"""The operators' middleware: probes answered before anything else, and every other request
given a request id (logs, response header) and counted by view and status (metrics)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from telemetry import context
from telemetry.metrics import HTTP_REQUESTS

from . import views

# Load balancers probe a process by its address, so these answer whatever the Host header
# says: ahead of CommonMiddleware's host validation and SecurityMiddleware's HTTPS redirect.
PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
}
# Requests that matched no URL pattern (404s, requests refused for their Host header).
UNMATCHED = "unmatched"


class ProbeMiddleware:
    """First in MIDDLEWARE: /healthz and /readyz, with or without a trailing slash."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/"))
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class RequestTelemetryMiddleware:
    """Right after the probes: the request id (the client's X-Request-ID when valid, otherwise a
    new one) is set for the log lines and echoed in the response; the user's id is added once
    the view is known; the response is counted under its view's URL name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.request_id_from(request.headers.get("X-Request-ID"))
        # Kept until the response is closed (request_finished), so Django's own log line about
        # a 4xx or 5xx answer carries it too.
        context.clear()
        context.bind(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        match = request.resolver_match
        view = match.view_name if match is not None else UNMATCHED
        HTTP_REQUESTS.labels(view=view, status=str(response.status_code)).inc()
        return response

    def process_view(self, request: HttpRequest, *_: object) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.bind(user_id=user.pk)
