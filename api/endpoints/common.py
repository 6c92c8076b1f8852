"""What the API's operations share: the caller, the errors each may answer, teams by slug,
and the gallery's filters and cursor from a query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest

from accounts.models import Team
from accounts.selectors import member_team, memberships_of
from gallery.values import Cursor, GalleryFilters

from ..models import ApiToken
from .errors import ApiError, ErrorOut
from .schemas import GenerationQuery, ImageQuery

# Every operation may answer these; each adds its own.
AUTH_ERRORS = {401, 403, 422, 429}


def errors(*statuses: int) -> dict[frozenset[int], type[ErrorOut]]:
    return {frozenset(AUTH_ERRORS | set(statuses)): ErrorOut}


def caller(request: HttpRequest) -> User:
    """The user whose token authenticated the request."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return token.user


def team_for(user: User, slug: str | None, *, default_team_id: int | None = None) -> Team | None:
    """The team a submission charges: the one named, else the default one if the user is
    still in it; none only for someone in no team."""
    if slug is not None:
        team = member_team(user, slug)
        if team is None:
            raise ApiError(
                422, "unknown_team", "You are not in a team with this slug.", field="team"
            )
        return team
    memberships = memberships_of(user)
    for membership in memberships:
        if membership.team_id == default_team_id:
            return membership.team
    if memberships:
        slugs = ", ".join(membership.team.slug for membership in memberships)
        raise ApiError(
            422,
            "team_required",
            f"Name the team this generation is for (one of: {slugs}).",
            field="team",
        )
    return None


def page_cursor(token: str | None) -> Cursor | None:
    if not token:
        return None
    cursor = Cursor.decode(token)
    if cursor is None:
        raise ApiError(
            422, "invalid_cursor", "This cursor is not one the API gave out.", field="cursor"
        )
    return cursor


def image_filters(query: ImageQuery) -> GalleryFilters:
    return GalleryFilters(
        q=query.q.strip(),
        model=query.model.strip(),
        size=query.size or "",
        quality=query.quality or "",
        style=query.style or "",
        date_from=query.date_from,
        date_to=query.date_to,
        favorites=query.favorites,
        sort=query.sort or ("relevance" if query.q.strip() else "newest"),
    )


def generation_filters(query: GenerationQuery) -> GalleryFilters:
    return GalleryFilters(
        q=query.q.strip(),
        model=query.model.strip(),
        size=query.size or "",
        status=query.status or "",
        date_from=query.date_from,
        date_to=query.date_to,
        sort=query.sort,
    )


def fields_of(values: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(values, name) for name in names}
