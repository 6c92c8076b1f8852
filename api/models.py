"""Personal API tokens: a user's keys to the JSON API, each named, revocable, maybe expiring."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters after the scheme, shown so the owner can tell tokens apart.
    prefix = models.CharField(max_length=16)
    # SHA-256 of the whole token, hex; the token itself is never stored.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute per token (a conditional UPDATE).
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_created")]

    def __str__(self) -> str:
        return f"{self.name} (mka1_{self.prefix}…)"

    @property
    def shown_prefix(self) -> str:
        return f"mka1_{self.prefix}…"

    def state_at(self, moment: datetime) -> State:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at is not None and self.expires_at <= moment:
            return self.State.EXPIRED
        return self.State.ACTIVE
