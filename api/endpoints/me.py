"""Who the token belongs to: their teams and what remains of each quota."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from accounts.selectors import memberships_of
from gallery import selectors

from .common import caller, errors
from .output import allowance_out
from .schemas import MeOut

router = Router(tags=["account"])


@router.get("/me", response={200: MeOut, **errors()}, url_name="me", summary="You")
def me(request: HttpRequest) -> dict[str, Any]:
    """Your account, your teams and your role in each, and the images that remain today
    (yours) and this month (each team's)."""
    user = caller(request)
    teams = [
        {
            "id": membership.team.pk,
            "slug": membership.team.slug,
            "name": membership.team.name,
            "role": membership.role,
            "monthly_images": allowance_out(selectors.team_allowance(membership.team)),
        }
        for membership in memberships_of(user)
    ]
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "daily_images": allowance_out(selectors.user_allowance(user.pk)),
        "teams": teams,
    }
