"""Login throttling on django-axes: two limits, and an answer that says when to try again.

axes counts failed logins per username and address (LOGIN_FAILURE_LIMIT, its lockout
parameters); the handler adds a second, higher limit on all failures from one address across
usernames (LOGIN_FAILURE_LIMIT_PER_IP), so that guessing many accounts is stopped too. A
success clears only the username's own count at that address, as axes does.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def _recent_from_address(request: HttpRequest) -> QuerySet[AccessAttempt]:
    """The failures from the request's address within the cool-off, whatever the username."""
    return AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        attempt_time__gte=get_cool_off_threshold(request),
    )


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures = int(super().get_failures(request, credentials))
        from_address = _recent_from_address(request).aggregate(total=Sum("failures_since_start"))[
            "total"
        ]
        if (from_address or 0) >= settings.LOGIN_FAILURE_LIMIT_PER_IP:
            # The address is over its own limit: it counts as locked out for every username.
            return max(failures, int(get_failure_limit(request, credentials)))
        return failures


def _lifted_at(
    attempts: QuerySet[AccessAttempt], limit: int, cool_off: timedelta
) -> datetime | None:
    """When fewer than `limit` of these failures are left within the cool-off (the oldest age
    out first), or None if they are under the limit already."""
    total = 0
    rows = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
    for attempt_time, failures in rows:
        total += failures
        if total >= limit:
            return attempt_time + cool_off
    return None


def retry_after_seconds(request: HttpRequest, username: str | None) -> int:
    """Seconds until a locked-out client may try again: once both limits are lifted."""
    cool_off = get_cool_off(request) or timedelta(0)
    recent = _recent_from_address(request)
    pair_limit = int(get_failure_limit(request, None))
    ends = [
        _lifted_at(recent.filter(username=username), pair_limit, cool_off),
        _lifted_at(recent, settings.LOGIN_FAILURE_LIMIT_PER_IP, cool_off),
    ]
    latest = max((end for end in ends if end is not None), default=timezone.now() + cool_off)
    return max(1, math.ceil((latest - timezone.now()).total_seconds()))


def lockout_message(request: HttpRequest, username: str | None) -> str:
    minutes = math.ceil(retry_after_seconds(request, username) / 60)
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts. Try again in {minutes} {unit}."


def is_locked_out(request: HttpRequest | None) -> bool:
    """Whether authenticating this request was refused, or its failure made a lockout."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page its view rendered (the form says why, the username
    is kept) answered with 429 and Retry-After; anything else gets the message alone."""
    username = get_client_username(request, credentials)
    if original_response is not None and original_response.status_code == 200:
        response = original_response
    else:
        response = HttpResponse(
            lockout_message(request, username), content_type="text/plain; charset=utf-8"
        )
    response.status_code = 429
    response["Retry-After"] = str(retry_after_seconds(request, username))
    return response
