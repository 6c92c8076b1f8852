"""Writes of API tokens: made, revoked (both audited), and marked as used."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record

from .models import ApiToken
from .tokens import new_token

# last_used_at is written at most this often per token.
TOUCH_INTERVAL = timedelta(minutes=1)


def token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for the user, and the token itself: the only time it is ever available."""
    made = new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=made.prefix, digest=made.digest, expires_at=expires_at
        )
        audit_record(
            actor=user,
            action="api_token.create",
            target_type="api_token",
            target_id=token.pk,
            target_name=f"{name} ({token.shown_prefix})",
            details={"expires_at": expires_at.isoformat() if expires_at else None},
        )
    return token, made.token


def token_revoke(*, user: User, token: ApiToken) -> bool:
    """Revoke the token from the next request on; False when it was revoked already."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit_record(
                actor=user,
                action="api_token.revoke",
                target_type="api_token",
                target_id=token.pk,
                target_name=f"{token.name} ({token.shown_prefix})",
            )
    return bool(revoked)


def token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record a use, at most once a minute: no write at all when the row says it is recent,
    and a conditional UPDATE so that concurrent requests write it once."""
    if token.last_used_at is not None and token.last_used_at > now - TOUCH_INTERVAL:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_INTERVAL)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
