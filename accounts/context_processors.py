from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import added_notices, current_membership


def teams(request: HttpRequest) -> dict[str, Any]:
    """The header's team switcher: the user's teams and the one they work for now, and the
    notices of teams someone added them to."""
    if not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    memberships = request._memberships  # type: ignore[attr-defined]
    return {
        "current_membership": membership,
        "current_team": membership.team if membership else None,
        "memberships": memberships,
        "added_notices": added_notices(memberships),
    }
