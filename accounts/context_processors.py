from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import current_membership


def teams(request: HttpRequest) -> dict[str, Any]:
    """The header's team switcher: the user's teams and the one they work for now."""
    if not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_team": membership.team if membership else None,
        "memberships": request._memberships,  # type: ignore[attr-defined]
    }
