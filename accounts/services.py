"""Writes about teams and accounts: membership changes, the team a user works for, limits, and
the changes of who may do what made in Django admin or by a command. Every change of a role,
a membership, a limit, a flag, a group or a permission writes one audit row in its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from audit.services import audit_record, user_name

from .models import Membership, Profile, Team
from .selectors import CURRENT_TEAM_SESSION_KEY

KEEP_AN_ADMIN = "A team keeps at least one team admin; make someone else one first."


class MembershipError(Exception):
    """A membership change that cannot be made, with the reason in words."""


def team_switch(*, request: HttpRequest, team: Team) -> None:
    request.session[CURRENT_TEAM_SESSION_KEY] = team.pk


# The same answer for a name no one has and for an account that cannot be added (inactive), so
# that a team admin cannot use the form to learn which accounts exist.
NO_ONE_TO_ADD = "No one can be added as “{value}”. Check the username or email."


def team_member_add(
    *,
    team: Team,
    username_or_email: str,
    role: str,
    actor: User | None = None,
    source: str = "portal",
) -> Membership:
    """Add the active user with this username or email to the team."""
    value = username_or_email.strip()
    user = User.objects.filter(Q(username=value) | Q(email__iexact=value), is_active=True).first()
    if user is None:
        raise MembershipError(NO_ONE_TO_ADD.format(value=value))
    return team_member_add_user(team=team, user=user, role=role, actor=actor, source=source)


@transaction.atomic
def team_member_add_user(
    *, team: Team, user: User, role: str, actor: User | None = None, source: str = "portal"
) -> Membership:
    """Add a user to the team, with one audit row; refused if they are in it already. The team
    they work for stays the one it was (see selectors.current_membership), and someone added by
    another person is told by whom until they dismiss the notice."""
    added_by_someone_else = actor is None or actor.pk != user.pk
    membership, created = Membership.objects.get_or_create(
        team=team,
        user=user,
        defaults={"role": role, "added_by": actor, "notice_pending": added_by_someone_else},
    )
    if not created:
        raise MembershipError(f"{user.username} is already a member of {team.name}.")
    _audit_membership(
        membership, "membership.add", actor=actor, source=source, details={"role": role}
    )
    return membership


def membership_notice_dismiss(*, membership: Membership) -> None:
    """The member has read that they were added to the team."""
    Membership.objects.filter(pk=membership.pk).update(notice_pending=False)


@transaction.atomic
def team_member_set_role(
    *, membership: Membership, role: str, actor: User | None = None, source: str = "portal"
) -> None:
    """Change a member's role, with one audit row; refused if the team would keep no team
    admin, and a no-op (no row) if the role is the one stored."""
    _keep_an_admin(membership, leaving=role != Membership.Role.ADMIN)
    before = _stored_role(membership)
    membership.role = role
    if before == role:
        return
    membership.save(update_fields=["role"])
    details = {"role": {"before": before, "after": role}}
    _audit_membership(membership, "membership.role", actor=actor, source=source, details=details)


@transaction.atomic
def team_member_remove(
    *, membership: Membership, actor: User | None = None, source: str = "portal"
) -> None:
    """Remove a member; they lose access to the team's library at once."""
    _keep_an_admin(membership, leaving=True)
    before = _stored_role(membership)
    _audit_membership(
        membership, "membership.remove", actor=actor, source=source, details={"role": before}
    )
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
        raise MembershipError(KEEP_AN_ADMIN)


def _stored_role(membership: Membership) -> str:
    """The role as stored now (the instance may carry an edited one); locked after the team's
    admins, in the order _keep_an_admin takes its locks."""
    role = (
        Membership.objects.select_for_update()
        .filter(pk=membership.pk)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise MembershipError(f"{membership.user.username} is no longer a member of that team.")
    return role


def _audit_membership(
    membership: Membership, action: str, *, actor: User | None, source: str, details: dict[str, Any]
) -> None:
    team = membership.team
    audit_record(
        actor=actor,
        action=action,
        target_type="user",
        target_id=membership.user_id,
        target_name=f"{membership.user.username} in {team.name}",
        details={"team": team.name, "team_id": team.pk, **details},
        source=source,
    )


@transaction.atomic
def team_limit_set(*, team: Team, limit: int | None, actor: User | None, source: str) -> bool:
    """Set the team's monthly image limit (None: the portal's default); False if unchanged."""
    locked = Team.objects.select_for_update().filter(pk=team.pk)
    before = locked.values_list("monthly_image_limit", flat=True).get()
    team.monthly_image_limit = limit
    if before == limit:
        return False
    locked.update(monthly_image_limit=limit)
    audit_record(
        actor=actor,
        action="team.limit",
        target_type="team",
        target_id=team.pk,
        target_name=team.name,
        details={"monthly_image_limit": {"before": before, "after": limit}},
        source=source,
    )
    return True


@transaction.atomic
def profile_limit_set(*, user: User, limit: int | None, actor: User | None, source: str) -> bool:
    """Set the user's daily image limit (None: the portal's default); False if unchanged."""
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    before = profile.daily_image_limit
    if before == limit:
        return False
    profile.daily_image_limit = limit
    profile.save(update_fields=["daily_image_limit"])
    audit_record(
        actor=actor,
        action="user.limit",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        details={"daily_image_limit": {"before": before, "after": limit}},
        source=source,
    )
    return True


@transaction.atomic
def user_created(*, user: User, actor: User | None, source: str) -> None:
    """Record a new account (made in admin or by a command) with the powers it started with."""
    audit_record(
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        details={"is_staff": user.is_staff, "is_superuser": user.is_superuser},
        source=source,
    )


@transaction.atomic
def user_flags_changed(
    *, user: User, before: dict[str, bool], after: dict[str, bool], actor: User | None, source: str
) -> bool:
    """Record changes of is_staff and is_superuser, given as field → value before and after;
    False if none changed."""
    changed = {
        field: {"before": before.get(field), "after": value}
        for field, value in after.items()
        if before.get(field) != value
    }
    if not changed:
        return False
    audit_record(
        actor=actor,
        action="user.flags",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        details=changed,
        source=source,
    )
    return True


def user_groups_changed(
    *, user: User, before: Iterable[str], after: Iterable[str], actor: User | None, source: str
) -> bool:
    """Record the groups a user was added to and taken out of, by name."""
    return _audit_set_change(
        action="user.groups",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        before=before,
        after=after,
        actor=actor,
        source=source,
    )


def user_permissions_changed(
    *, user: User, before: Iterable[str], after: Iterable[str], actor: User | None, source: str
) -> bool:
    """Record the permissions ("app_label.codename") given to and taken from a user."""
    return _audit_set_change(
        action="user.permissions",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        before=before,
        after=after,
        actor=actor,
        source=source,
    )


def group_permissions_changed(
    *, group: Group, before: Iterable[str], after: Iterable[str], actor: User | None, source: str
) -> bool:
    """Record the permissions ("app_label.codename") given to and taken from a group."""
    return _audit_set_change(
        action="group.permissions",
        target_type="group",
        target_id=group.pk,
        target_name=group.name,
        before=before,
        after=after,
        actor=actor,
        source=source,
    )


def permission_names(permissions: QuerySet[Permission]) -> set[str]:
    """Permissions as the log names them: "app_label.codename"."""
    rows = permissions.values_list("content_type__app_label", "codename")
    return {f"{app_label}.{codename}" for app_label, codename in rows}


@transaction.atomic
def _audit_set_change(
    *,
    action: str,
    target_type: str,
    target_id: int,
    target_name: str,
    before: Iterable[str],
    after: Iterable[str],
    actor: User | None,
    source: str,
) -> bool:
    """One row naming what was added and removed; none when the two sets are equal."""
    old, new = set(before), set(after)
    if old == new:
        return False
    audit_record(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_name=target_name,
        details={"added": sorted(new - old), "removed": sorted(old - new)},
        source=source,
    )
    return True


@transaction.atomic
def user_delete(*, user: User, actor: User | None, source: str) -> None:
    """Delete an account and everything that cascades from it, recording who did it."""
    teams = list(user.memberships.values_list("team__name", flat=True).order_by("team__name"))
    audit_record(
        actor=actor,
        action="user.delete",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        details={"teams": teams, "is_staff": user.is_staff, "is_superuser": user.is_superuser},
        source=source,
    )
    user.delete()


@transaction.atomic
def team_delete(*, team: Team, actor: User | None, source: str) -> None:
    """Delete a team with its memberships, recording who was in it."""
    members = list(
        team.memberships.values_list("user__username", flat=True).order_by("user__username")
    )
    audit_record(
        actor=actor,
        action="team.delete",
        target_type="team",
        target_id=team.pk,
        target_name=team.name,
        details={"slug": team.slug, "members": members},
        source=source,
    )
    team.delete()


@transaction.atomic
def group_delete(*, group: Group, actor: User | None, source: str) -> None:
    """Delete a group: its members lose its permissions, so it is recorded like a change."""
    permissions = sorted(permission_names(group.permissions.all()))
    audit_record(
        actor=actor,
        action="group.delete",
        target_type="group",
        target_id=group.pk,
        target_name=group.name,
        details={"permissions": permissions, "members": group.user_set.count()},
        source=source,
    )
    group.delete()
