"""Reads about teams: who is in which, which team a user works for now."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .models import Membership, Profile, Team

CURRENT_TEAM_SESSION_KEY = "current_team_id"


def current_user(request: HttpRequest) -> User:
    """The logged-in user of a view behind login_required."""
    assert isinstance(request.user, User)
    return request.user


def suspension_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The reason the user is suspended, or None; reads the profile loaded with the user."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None or profile.suspended_at is None:
        return None
    return str(profile.suspended_reason or "No reason was given.")


def memberships_of(user: AbstractBaseUser | AnonymousUser) -> list[Membership]:
    if user.pk is None:
        return []
    memberships = Membership.objects.filter(user_id=user.pk).select_related("team", "added_by")
    return list(memberships.order_by("team__name"))


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the team chosen in the header, else the oldest one (so being added to
    another team never changes the team one works for); cached per request."""
    if hasattr(request, "_current_membership"):
        cached: Membership | None = request._current_membership
        return cached
    memberships = memberships_of(request.user)
    chosen = request.session.get(CURRENT_TEAM_SESSION_KEY)
    current = next((m for m in memberships if m.team_id == chosen), None)
    if current is None and memberships:
        current = min(memberships, key=lambda m: (m.created_at, m.pk))
    request._current_membership = current  # type: ignore[attr-defined]
    request._memberships = memberships  # type: ignore[attr-defined]
    return current


def current_team(request: HttpRequest) -> Team | None:
    membership = current_membership(request)
    return membership.team if membership else None


def get_membership(user: AbstractBaseUser | AnonymousUser, slug: str) -> Membership:
    """The user's membership of a team, or 404: a team one is not in does not exist for one."""
    if user.pk is None:
        raise Http404("No such team.")
    return get_object_or_404(
        Membership.objects.select_related("team"), user_id=user.pk, team__slug=slug
    )


# The team by its slug when the user is in it: the JSON API's submit asks this on every call,
# and the ORM's compiling of the join cost more CPU than everything else the submit asks.
MEMBER_TEAM = (
    "SELECT team.* FROM accounts_team AS team "
    "JOIN accounts_membership AS membership ON membership.team_id = team.id "
    "WHERE membership.user_id = %s AND team.slug = %s"
)


def member_team(user: AbstractBaseUser | AnonymousUser, slug: str) -> Team | None:
    """The team with this slug if the user is in it, else None."""
    if user.pk is None:
        return None
    return next(iter(Team.objects.raw(MEMBER_TEAM, [user.pk, slug])), None)


def added_notices(memberships: list[Membership]) -> list[Membership]:
    """The memberships whose member has not yet dismissed the notice that someone added them."""
    return [membership for membership in memberships if membership.notice_pending]


def get_admin_membership(user: AbstractBaseUser | AnonymousUser, slug: str) -> Membership:
    """The user's membership of a team, which must be an admin one; 404 otherwise."""
    membership = get_membership(user, slug)
    if not membership.is_admin:
        raise Http404("Only team admins manage members.")
    return membership


def get_team_membership(team: Team, pk: int) -> Membership:
    """A membership of this team (any member's), or 404."""
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=team)


def team_members(team: Team) -> list[Membership]:
    return list(team.memberships.select_related("user").order_by("user__username"))


def user_daily_limit(user_id: int) -> int:
    profile = Profile.objects.filter(user_id=user_id).first()
    return profile.image_limit if profile else Profile(user_id=user_id).image_limit
