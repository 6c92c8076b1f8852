"""Who calls: a personal API token in `Authorization: Bearer`, checked anew on every request
(revocation, expiry and suspension count from the next request on), then the token's rate."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from accounts.selectors import suspension_of

from .. import selectors, services
from ..limits import Rate, rate_exceeded
from ..models import ApiToken
from .errors import ApiError


@cache
def _rate(text: str) -> Rate:
    return Rate.parse(text)


class TokenAuth(HttpBearer):
    """Bearer tokens only: a session cookie is not looked at, so it gets a 401 like no token."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(
                401, "invalid_token", "Send an API token: Authorization: Bearer <token>."
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "invalid_token", "Send the token as Authorization: Bearer <token>.")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = selectors.token_for(token)
        if found is None or not found.user.is_active:
            raise ApiError(401, "invalid_token", "This API token is not valid.")
        now = timezone.now()
        state = found.state_at(now)
        if state == ApiToken.State.REVOKED:
            raise ApiError(401, "token_revoked", "This API token was revoked.")
        if state == ApiToken.State.EXPIRED:
            raise ApiError(401, "token_expired", "This API token has expired.")
        reason = suspension_of(found.user)
        if reason is not None:
            raise ApiError(403, "account_suspended", f"Your account is suspended: {reason}")
        wait = rate_exceeded(f"token:{found.pk}", _rate(settings.API_RATE_LIMIT))
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests with this token; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        services.token_touch(token=found, now=now)
        request.user = found.user
        return found
