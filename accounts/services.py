"""Writes about teams: membership changes and the team a user works for."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from .models import Membership, Team
from .selectors import CURRENT_TEAM_SESSION_KEY


class MembershipError(Exception):
    """A membership change that cannot be made, with the reason in words."""


def team_switch(*, request: HttpRequest, team: Team) -> None:
    request.session[CURRENT_TEAM_SESSION_KEY] = team.pk


def team_member_add(*, team: Team, username_or_email: str, role: str) -> Membership:
    value = username_or_email.strip()
    user = User.objects.filter(Q(username=value) | Q(email__iexact=value), is_active=True).first()
    if user is None:
        raise MembershipError(f"No user is called or has the email “{value}”.")
    membership, created = Membership.objects.get_or_create(
        team=team, user=user, defaults={"role": role}
    )
    if not created:
        raise MembershipError(f"{user.username} is already a member of {team.name}.")
    return membership


@transaction.atomic
def team_member_set_role(*, membership: Membership, role: str) -> None:
    _keep_an_admin(membership, leaving=role != Membership.Role.ADMIN)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def team_member_remove(*, membership: Membership) -> None:
    """Remove a member; they lose access to the team's library at once."""
    _keep_an_admin(membership, leaving=True)
    membership.delete()


def _keep_an_admin(membership: Membership, *, leaving: bool) -> None:
    if not leaving:
        return
    # Evaluated, so the rows are locked (a count() would drop FOR UPDATE): two admins demoting
    # each other at once are then counted one after the other.
    admins = list(
        Membership.objects.select_for_update()
        .filter(team_id=membership.team_id, role=Membership.Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if admins == [membership.pk]:
        raise MembershipError("A team keeps at least one team admin; make someone else one first.")
