"""Every change of who may do what, made in Django admin, by a command or on the portal's team
page, writes exactly one audit row naming who, what and on which object; what admin must not
change (the Active flag, history, the audit log itself) it cannot."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Profile, Team
from audit.models import AuditEntry
from audit.services import audit_record
from moderation.models import Case, Notice, Report, Strike
from tests.factories import (
    PASSWORD,
    GeneratedImageFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.moderation, pytest.mark.django_db]


@pytest.fixture
def root() -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def client(root: User) -> Client:
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


@pytest.fixture
def crew() -> Team:
    crew = TeamFactory(name="Crew", slug="crew")
    MembershipFactory(team=crew, user__username="alice", role=Membership.Role.ADMIN)
    MembershipFactory(team=crew, user__username="bob")
    return crew


def page_values(response: Any) -> dict[str, Any]:
    """What an admin add or change page would post as it stands: its form and every inline."""
    assert response.status_code == 200, response.content.decode()[:2000]
    page_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        page_forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in page_forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            key, value = form.add_prefix(name), form[name].value()
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[key] = "on"
            elif isinstance(field.widget, forms.MultiWidget):
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else str(part)
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "" if value is None else str(value)
    return data


def post_page(client: Client, url: str, **changes: Any) -> Any:
    """Load an admin page, change some of its values, post it; the save must succeed."""
    data = page_values(client.get(url))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    return response


def errors_of(response: Any) -> str:
    if response.context is None:
        return f"status {response.status_code}"
    adminform = response.context.get("adminform")
    inlines = response.context.get("inline_admin_formsets") or []
    return repr(
        [
            adminform.form.errors if adminform else None,
            *[(inline.formset.errors, inline.formset.non_form_errors()) for inline in inlines],
        ]
    )


def only_entry(**expected: Any) -> AuditEntry:
    """The one audit row there is, checked against the expected values."""
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1, [(entry.action, entry.target_name) for entry in entries]
    entry = entries[0]
    assert {name: getattr(entry, name) for name in expected} == expected
    return entry


def user_url(user: User) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


# People


def test_a_user_added_in_admin_is_recorded_with_the_admin_who_added_them(
    client: Client, root: User
) -> None:
    post_page(
        client,
        reverse("admin:auth_user_add"),
        username="newbie",
        usable_password="true",
        password1="a long enough password 42",
        password2="a long enough password 42",
    )
    newbie = User.objects.get(username="newbie")
    entry = only_entry(
        action="user.create",
        actor_id=root.pk,
        actor_name="root",
        target_type="user",
        target_id=newbie.pk,
        source="admin",
    )
    assert entry.details == {"is_staff": False, "is_superuser": False}


def test_making_someone_staff_then_superuser_writes_a_row_for_each(
    client: Client, root: User
) -> None:
    kim = UserFactory(username="kim")
    post_page(client, user_url(kim), is_staff="on")
    entry = only_entry(action="user.flags", actor_id=root.pk, target_id=kim.pk, source="admin")
    assert entry.details == {"is_staff": {"before": False, "after": True}}

    post_page(client, user_url(kim), is_superuser="on")
    assert AuditEntry.objects.count() == 2
    latest = AuditEntry.objects.first()
    assert latest is not None and latest.action == "user.flags"
    assert latest.details == {"is_superuser": {"before": False, "after": True}}

    # Saving the page again changes nothing, so records nothing.
    post_page(client, user_url(kim))
    assert AuditEntry.objects.count() == 2
    kim.refresh_from_db()
    assert kim.is_staff and kim.is_superuser


def test_taking_staff_away_is_recorded(client: Client) -> None:
    kim = UserFactory(username="kim", is_staff=True)
    post_page(client, user_url(kim), is_staff=None)
    entry = only_entry(action="user.flags", target_id=kim.pk)
    assert entry.details == {"is_staff": {"before": True, "after": False}}


def test_a_users_groups_changed_in_admin_are_recorded_by_name(client: Client, root: User) -> None:
    kim = UserFactory(username="kim")
    moderators = Group.objects.get(name="Moderators")
    post_page(client, user_url(kim), groups=[str(moderators.pk)])
    entry = only_entry(action="user.groups", actor_id=root.pk, target_id=kim.pk, source="admin")
    assert entry.details == {"added": ["Moderators"], "removed": []}

    post_page(client, user_url(kim), groups=None)
    latest = AuditEntry.objects.first()
    assert latest is not None and latest.action == "user.groups"
    assert latest.details == {"added": [], "removed": ["Moderators"]}
    assert AuditEntry.objects.count() == 2


def test_a_users_own_permissions_changed_in_admin_are_recorded(client: Client, root: User) -> None:
    kim = UserFactory(username="kim")
    moderate = Permission.objects.get(codename="moderate", content_type__app_label="moderation")
    post_page(client, user_url(kim), user_permissions=[str(moderate.pk)])
    entry = only_entry(
        action="user.permissions", actor_id=root.pk, target_id=kim.pk, source="admin"
    )
    assert entry.details == {"added": ["moderation.moderate"], "removed": []}
    assert kim.has_perm("moderation.moderate")


def test_a_groups_permissions_changed_in_admin_are_recorded(client: Client, root: User) -> None:
    moderators = Group.objects.get(name="Moderators")
    view_audit = Permission.objects.get(codename="view_auditentry")
    post_page(
        client,
        reverse("admin:auth_group_change", args=[moderators.pk]),
        permissions=[str(view_audit.pk)],
    )
    entry = only_entry(
        action="group.permissions",
        actor_id=root.pk,
        target_type="group",
        target_id=moderators.pk,
        target_name="Moderators",
        source="admin",
    )
    assert entry.details == {"added": ["audit.view_auditentry"], "removed": ["moderation.moderate"]}


def test_a_daily_limit_set_on_a_users_page_is_recorded(client: Client, root: User) -> None:
    kim = UserFactory(username="kim")
    post_page(client, user_url(kim), **{"profile-0-daily_image_limit": "7"})
    entry = only_entry(action="user.limit", actor_id=root.pk, target_id=kim.pk, source="admin")
    assert entry.details == {"daily_image_limit": {"before": None, "after": 7}}
    assert Profile.objects.get(user=kim).image_limit == 7

    post_page(client, user_url(kim), **{"profile-0-daily_image_limit": ""})
    assert AuditEntry.objects.count() == 2
    assert Profile.objects.get(user=kim).daily_image_limit is None


def test_the_active_checkbox_cannot_be_changed_in_admin(client: Client) -> None:
    kim = UserFactory(username="kim")
    page = client.get(user_url(kim))
    assert "is_active" not in page.context["adminform"].form.fields
    assert "suspended or restored in Moderation" in page.content.decode()
    post_page(client, user_url(kim), is_active=None)
    kim.refresh_from_db()
    assert kim.is_active
    # Nor by posting a value the form does not have.
    post_page(client, user_url(kim), is_active="")
    kim.refresh_from_db()
    assert kim.is_active
    assert not AuditEntry.objects.exists()


def test_suspension_fields_are_read_only_on_a_users_page(client: Client) -> None:
    kim = UserFactory(username="kim")
    Profile.objects.create(user=kim, daily_image_limit=5)
    page = client.get(user_url(kim))
    profile_form = page.context["inline_admin_formsets"][0].formset.forms[0]
    assert set(profile_form.fields) == {"daily_image_limit", "id", "user"}


def test_users_deleted_in_admin_are_recorded_one_row_each(client: Client, root: User) -> None:
    kim, lee = UserFactory(username="kim"), UserFactory(username="lee")
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [kim.pk, lee.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[kim.pk, lee.pk]).exists()
    rows = AuditEntry.objects.order_by("target_name").values_list(
        "action", "actor_id", "target_id", "source"
    )
    assert list(rows) == [
        ("user.delete", root.pk, kim.pk, "admin"),
        ("user.delete", root.pk, lee.pk, "admin"),
    ]


# Teams and memberships


def team_url(team: Team) -> str:
    return reverse("admin:accounts_team_change", args=[team.pk])


def test_a_team_limit_changed_in_admin_is_recorded(client: Client, root: User, crew: Team) -> None:
    post_page(client, team_url(crew), monthly_image_limit="500")
    entry = only_entry(
        action="team.limit",
        actor_id=root.pk,
        target_type="team",
        target_id=crew.pk,
        target_name="Crew",
        source="admin",
    )
    assert entry.details == {"monthly_image_limit": {"before": None, "after": 500}}
    crew.refresh_from_db()
    assert crew.image_limit == 500


def test_members_added_promoted_and_removed_in_the_team_inline_are_each_recorded(
    client: Client, root: User, crew: Team
) -> None:
    carol = UserFactory(username="carol")
    alice = Membership.objects.get(user__username="alice")
    bob = Membership.objects.get(user__username="bob")
    data = page_values(client.get(team_url(crew)))
    rows = {data[f"memberships-{index}-id"]: index for index in range(2)}
    data[f"memberships-{rows[str(bob.pk)]}-role"] = "admin"
    data[f"memberships-{rows[str(alice.pk)]}-DELETE"] = "on"
    data["memberships-2-user"] = str(carol.pk)
    response = client.post(team_url(crew), data)
    assert response.status_code == 302, errors_of(response)

    assert sorted(Membership.objects.values_list("user__username", "role")) == [
        ("bob", "admin"),
        ("carol", "member"),
    ]
    entries = AuditEntry.objects.order_by("id")
    assert [(e.action, e.target_name, e.actor_id, e.source) for e in entries] == [
        ("membership.add", "carol in Crew", root.pk, "admin"),
        ("membership.role", "bob in Crew", root.pk, "admin"),
        ("membership.remove", "alice in Crew", root.pk, "admin"),
    ]
    assert entries[1].details == {
        "team": "Crew",
        "team_id": crew.pk,
        "role": {"before": "member", "after": "admin"},
    }


def test_the_team_inline_refuses_to_remove_the_last_team_admin(client: Client, crew: Team) -> None:
    alice = Membership.objects.get(user__username="alice")
    data = page_values(client.get(team_url(crew)))
    index = next(i for i in range(2) if data[f"memberships-{i}-id"] == str(alice.pk))
    data[f"memberships-{index}-DELETE"] = "on"
    response = client.post(team_url(crew), data)
    assert response.status_code == 200
    assert "A team keeps at least one team admin" in response.content.decode()
    assert Membership.objects.filter(pk=alice.pk).exists()
    assert not AuditEntry.objects.exists()


def test_a_team_deleted_in_admin_is_recorded_with_its_members(
    client: Client, root: User, crew: Team
) -> None:
    response = client.post(reverse("admin:accounts_team_delete", args=[crew.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Team.objects.filter(pk=crew.pk).exists()
    entry = only_entry(action="team.delete", actor_id=root.pk, target_id=crew.pk, source="admin")
    assert entry.details == {"slug": "crew", "members": ["alice", "bob"]}


def test_the_membership_admin_changes_roles_through_the_service(
    client: Client, root: User, crew: Team
) -> None:
    bob = Membership.objects.get(user__username="bob")
    post_page(client, reverse("admin:accounts_membership_change", args=[bob.pk]), role="admin")
    only_entry(action="membership.role", actor_id=root.pk, target_name="bob in Crew")
    changelist = client.get(reverse("admin:accounts_membership_changelist"), {"q": "bob"})
    assert changelist.status_code == 200 and "Crew" in changelist.content.decode()


def test_the_membership_admin_adds_members_through_the_service_once(
    client: Client, root: User, crew: Team
) -> None:
    carol = UserFactory(username="carol")
    url = reverse("admin:accounts_membership_add")
    post_page(client, url, team=str(crew.pk), user=str(carol.pk), role="member")
    only_entry(action="membership.add", actor_id=root.pk, target_id=carol.pk, source="admin")
    data = {**page_values(client.get(url)), "team": str(crew.pk), "user": str(carol.pk)}
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert AuditEntry.objects.count() == 1


def test_the_membership_admin_will_not_delete_the_last_team_admin(
    client: Client, crew: Team
) -> None:
    alice = Membership.objects.get(user__username="alice")
    url = reverse("admin:accounts_membership_delete", args=[alice.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "A team keeps at least one team admin" in response.content.decode()
    assert Membership.objects.filter(pk=alice.pk).exists()
    assert not AuditEntry.objects.exists()


# Commands


def test_createsuperuser_is_recorded_as_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough password 42")
    call_command(
        "createsuperuser", interactive=False, username="boss", email="boss@example.com",
        stdout=StringIO(),
    )  # fmt: skip
    boss = User.objects.get(username="boss")
    assert boss.is_superuser and boss.check_password("a long enough password 42")
    entry = only_entry(action="user.create", actor_id=None, target_id=boss.pk, source="command")
    assert entry.details == {"is_staff": True, "is_superuser": True}


def test_ensure_admin_is_recorded_as_a_command() -> None:
    call_command("ensure_admin", stdout=StringIO())
    admin_user = User.objects.get(username="admin")
    only_entry(action="user.create", actor_id=None, target_id=admin_user.pk, source="command")
    # With users there, it makes nobody and records nothing.
    call_command("ensure_admin", stdout=StringIO())
    assert AuditEntry.objects.count() == 1


# The audit log and history in admin


def test_the_audit_log_in_admin_can_be_read_but_not_added_changed_or_deleted(
    client: Client, root: User
) -> None:
    entry = audit_record(actor=root, action="team.limit", target_type="team", target_id=1)
    changelist = reverse("admin:audit_auditentry_changelist")
    page = client.get(changelist, {"q": "root", "source": "portal"})
    assert page.status_code == 200 and "team.limit" in page.content.decode()
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    change = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert change.status_code == 200 and not change.context["has_change_permission"]
    delete_url = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [entry.pk]


def test_history_is_listed_searchable_and_read_only_in_admin(client: Client, root: User) -> None:
    image = GeneratedImageFactory(
        generation__prompt="a red lighthouse", generation__user__username="kim"
    )
    kim = image.user
    case = Case.objects.create(kind=Case.Kind.IMAGE, image=image, subject=kim, subject_name="kim")
    Report.objects.create(case=case, reporter=root, image_id=image.pk, reason="spam")
    Strike.objects.create(user=kim, case=case, reason="spam")
    Notice.objects.create(user=kim, case=case, kind=Notice.Kind.STRIKE, reason="spam")
    pages = {
        "admin:gallery_generation_changelist": {"q": "lighthouse", "status": "succeeded"},
        "admin:gallery_generatedimage_changelist": {"q": "kim", "hidden": "no", "trashed": "no"},
        "admin:moderation_case_changelist": {"q": "kim", "status": "open"},
        "admin:moderation_report_changelist": {"reason": "spam"},
        "admin:moderation_strike_changelist": {"q": "kim"},
        "admin:moderation_notice_changelist": {"kind": "strike"},
        "admin:auth_user_changelist": {"q": "kim"},
    }
    for name, query in pages.items():
        response = client.get(reverse(name), query)
        assert response.status_code == 200, name
        assert response.context["cl"].result_count == 1, name
    for name, pk in [
        ("admin:gallery_generation_change", image.generation_id),
        ("admin:gallery_generatedimage_change", image.pk),
        ("admin:moderation_case_change", case.pk),
    ]:
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 200 and not response.context["has_change_permission"]
    assert client.get(reverse("admin:gallery_generation_add")).status_code == 403
    generation_url = reverse("admin:gallery_generation_change", args=[image.generation_id])
    client.post(generation_url, {"status": "failed", "charged": "0", "prompt": "changed"})
    image.generation.refresh_from_db()
    assert (image.generation.status, image.generation.prompt) == ("succeeded", "a red lighthouse")


# The portal's team page


def test_the_team_pages_member_actions_are_recorded_with_the_team_admin(crew: Team) -> None:
    alice = User.objects.get(username="alice")
    carol = UserFactory(username="carol")
    client = Client()
    client.force_login(alice)
    client.post(
        reverse("accounts:member-add", args=["crew"]),
        {"username_or_email": "carol", "role": "member"},
    )
    carol_membership = Membership.objects.get(user=carol)
    client.post(
        reverse("accounts:member-role", args=["crew", carol_membership.pk]), {"role": "admin"}
    )
    client.post(reverse("accounts:member-remove", args=["crew", carol_membership.pk]))
    entries = AuditEntry.objects.order_by("id")
    assert [(e.action, e.actor_id, e.target_id, e.source) for e in entries] == [
        ("membership.add", alice.pk, carol.pk, "portal"),
        ("membership.role", alice.pk, carol.pk, "portal"),
        ("membership.remove", alice.pk, carol.pk, "portal"),
    ]
    assert [e.target_name for e in entries] == ["carol in Crew"] * 3
    assert entries[2].details == {"team": "Crew", "team_id": crew.pk, "role": "admin"}


def test_a_refused_portal_change_records_nothing(crew: Team) -> None:
    alice = Membership.objects.get(user__username="alice")
    client = Client()
    client.force_login(alice.user)
    client.post(reverse("accounts:member-role", args=["crew", alice.pk]), {"role": "member"})
    client.post(reverse("accounts:member-remove", args=["crew", alice.pk]))
    client.post(reverse("accounts:member-add", args=["crew"]), {"username_or_email": "bob"})
    assert not AuditEntry.objects.exists()
