"""Django admin for people, teams and groups. Every change of who may do what goes through
accounts.services, which writes the audit row the portal writes; what belongs to Moderation
(suspension, the Active flag) is read-only here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from audit.models import AuditEntry

from . import services
from .forms import AdminLoginForm
from .models import Membership, Profile, Team
from .selectors import current_user

SOURCE = AuditEntry.Source.ADMIN
ADMIN_ROLE = Membership.Role.ADMIN


@contextmanager
def membership_errors_as_messages(request: HttpRequest) -> Iterator[None]:
    """A refused membership change (the team's last admin) is told, not a server error."""
    try:
        yield
    except services.MembershipError as error:
        messages.error(request, str(error))


def teams_left_without_admin(memberships: Iterable[Membership]) -> list[str]:
    """The teams that would have no team admin once these memberships are gone, in words."""
    chosen = {membership.pk: membership.team for membership in memberships}
    teams = {team.pk: team for team in chosen.values()}
    admins: dict[int, set[int]] = defaultdict(set)
    rows = Membership.objects.filter(team_id__in=teams, role=ADMIN_ROLE).values_list(
        "team_id", "pk"
    )
    for team_id, pk in rows:
        admins[team_id].add(pk)
    return [
        f"{teams[team_id].name}: {services.KEEP_AN_ADMIN}"
        for team_id, pks in admins.items()
        if pks <= chosen.keys()
    ]


# Teams and their members


class MembershipInlineForm(forms.ModelForm):
    """A member's row: its role may change, its person may not (remove and add instead)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "user" in self.fields:
            self.fields["user"].disabled = True


class MembershipInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """A team that has a team admin keeps one, as the services insist."""
        super().clean()
        if any(self.errors):
            return
        had_admin = any(form.initial.get("role") == ADMIN_ROLE for form in self.initial_forms)
        kept = [
            form
            for form in self.forms
            if (form in self.initial_forms or form.has_changed())
            and not form.cleaned_data.get("DELETE")
        ]
        if had_admin and not any(form.cleaned_data.get("role") == ADMIN_ROLE for form in kept):
            raise ValidationError(services.KEEP_AN_ADMIN)


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    formset = MembershipInlineFormSet
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "monthly_image_limit", "member_count", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, team: Team) -> int:
        return int(getattr(team, "member_count", 0))

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        limit = obj.monthly_image_limit
        # The limit is written by the service, which records the change.
        obj.monthly_image_limit = form.initial.get("monthly_image_limit")
        super().save_model(request, obj, form, change)
        services.team_limit_set(team=obj, limit=limit, actor=current_user(request), source=SOURCE)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # Sorts the forms into new, changed and deleted rows (which admin's history reads)
        # without writing; the services then make each change.
        formset.save(commit=False)
        team, actor = form.instance, current_user(request)
        new_roles = [m for m, fields in formset.changed_objects if "role" in fields]
        # New admins first, so that the team keeps one at every step.
        new_roles.sort(key=lambda membership: membership.role != ADMIN_ROLE)
        for membership in formset.new_objects:
            with membership_errors_as_messages(request):
                services.team_member_add_user(
                    team=team,
                    user=membership.user,
                    role=membership.role,
                    actor=actor,
                    source=SOURCE,
                )
        for membership in new_roles:
            with membership_errors_as_messages(request):
                services.team_member_set_role(
                    membership=membership, role=membership.role, actor=actor, source=SOURCE
                )
        for membership in formset.deleted_objects:
            with membership_errors_as_messages(request):
                services.team_member_remove(membership=membership, actor=actor, source=SOURCE)

    def delete_model(self, request: HttpRequest, obj: Team) -> None:
        services.team_delete(team=obj, actor=current_user(request), source=SOURCE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Team]) -> None:
        for team in queryset:
            services.team_delete(team=team, actor=current_user(request), source=SOURCE)


class MembershipAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        demoted = cleaned.get("role", ADMIN_ROLE) != ADMIN_ROLE
        if self.instance.pk is not None and demoted and teams_left_without_admin([self.instance]):
            raise ValidationError(services.KEEP_AN_ADMIN)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ("team", "user", "role", "created_at")
    list_filter = ("role", "team")
    list_select_related = ("team", "user")
    search_fields = ("team__name", "user__username", "user__email")
    autocomplete_fields = ["team", "user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("team", "user")

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> Any:
        # A membership's team and person are what it is; only its role changes.
        return ("team", "user", "created_at") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        actor = current_user(request)
        if change:
            with membership_errors_as_messages(request):
                services.team_member_set_role(
                    membership=obj, role=obj.role, actor=actor, source=SOURCE
                )
            return
        added = services.team_member_add_user(
            team=obj.team, user=obj.user, role=obj.role, actor=actor, source=SOURCE
        )
        obj.pk, obj.created_at = added.pk, added.created_at

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """The delete page refuses to leave a team without a team admin."""
        deleted, counts, permissions_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, permissions_needed, [*protected, *teams_left_without_admin(objs)]

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        with membership_errors_as_messages(request):
            services.team_member_remove(membership=obj, actor=current_user(request), source=SOURCE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            with membership_errors_as_messages(request):
                services.team_member_remove(
                    membership=membership, actor=current_user(request), source=SOURCE
                )


# People


ACTIVE_HELP = (
    "Read-only here: an account is suspended or restored in Moderation, which tells the user "
    "why and records it."
)


class PortalUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        # Read by the read-only Active field too.
        help_texts = {"is_active": ACTIVE_HELP}


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    verbose_name_plural = "Limits and suspension"
    fields = ("daily_image_limit", "suspended_at", "suspended_reason", "refusals_reviewed_at")
    readonly_fields = ("suspended_at", "suspended_reason", "refusals_reviewed_at")


def flags(user: User) -> dict[str, bool]:
    return {"is_staff": user.is_staff, "is_superuser": user.is_superuser}


def group_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


class PortalUserAdmin(UserAdmin):
    form = PortalUserChangeForm
    inlines = [*UserAdmin.inlines, ProfileInline]
    readonly_fields = ("is_active",)
    list_display = (
        "username", "email", "is_active", "suspended", "is_staff", "is_superuser", "date_joined",
    )  # fmt: skip
    list_select_related = ("profile",)

    @admin.display(boolean=True, description="Suspended")
    def suspended(self, user: User) -> bool:
        profile = getattr(user, "profile", None)
        return profile is not None and profile.is_suspended

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = current_user(request)
        if not change:
            super().save_model(request, obj, form, change)
            services.user_created(user=obj, actor=actor, source=SOURCE)
            return
        # Compared with the row as stored, not with what the form was shown.
        stored = User.objects.only("is_staff", "is_superuser").get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        services.user_flags_changed(
            user=obj, before=flags(stored), after=flags(obj), actor=actor, source=SOURCE
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        user = form.instance
        groups = group_names(user)
        permissions = services.permission_names(user.user_permissions.all())
        super().save_related(request, form, formsets, change)
        actor = current_user(request)
        services.user_groups_changed(
            user=user, before=groups, after=group_names(user), actor=actor, source=SOURCE
        )
        services.user_permissions_changed(
            user=user,
            before=permissions,
            after=services.permission_names(user.user_permissions.all()),
            actor=actor,
            source=SOURCE,
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Profile:
            super().save_formset(request, form, formset, change)
            return
        # Sorted without writing; the limit is written by the service, which records it.
        formset.save(commit=False)
        edited = [*formset.new_objects, *(profile for profile, _ in formset.changed_objects)]
        for profile in edited:
            services.profile_limit_set(
                user=form.instance,
                limit=profile.daily_image_limit,
                actor=current_user(request),
                source=SOURCE,
            )

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.user_delete(user=obj, actor=current_user(request), source=SOURCE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_delete(user=user, actor=current_user(request), source=SOURCE)


class PortalGroupAdmin(GroupAdmin):
    list_display = ("name", "member_count")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, group: Group) -> int:
        return int(getattr(group, "member_count", 0))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        group = form.instance
        before = services.permission_names(group.permissions.all())
        super().save_related(request, form, formsets, change)
        services.group_permissions_changed(
            group=group,
            before=before,
            after=services.permission_names(group.permissions.all()),
            actor=current_user(request),
            source=SOURCE,
        )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        services.group_delete(group=obj, actor=current_user(request), source=SOURCE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            services.group_delete(group=group, actor=current_user(request), source=SOURCE)


# The admin's login is throttled like the portal's (accounts.throttle).
admin.site.login_form = AdminLoginForm
admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, PortalGroupAdmin)
