from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import is_moderator_cached


def moderation(request: HttpRequest) -> dict[str, Any]:
    """Whether the header shows the Moderation link (checked at most every few minutes)."""
    if not request.user.is_authenticated:
        return {}
    return {"is_moderator": is_moderator_cached(request)}
