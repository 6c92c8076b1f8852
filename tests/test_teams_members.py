"""Managing a team's members: adding, roles, removing, and the team admin a team always keeps."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import Membership
from gallery.models import Generation
from tests.factories import MembershipFactory, TeamFactory, UserFactory

GENERATION_FORM = {
    "prompt": "a lighthouse in the fog",
    "model": "meetkai:z-image-turbo",
    "n": 1,
    "size": "256x256",
    "quality": "standard",
    "style": "vivid",
    "response_format": "b64_json",
}

pytestmark = [pytest.mark.teams, pytest.mark.django_db]


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_membership() -> Membership:
    crew = TeamFactory(name="Crew", slug="crew")
    MembershipFactory(team=crew, user__username="bob")
    return MembershipFactory(team=crew, user__username="alice", role=Membership.Role.ADMIN)


def admin_client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_only_admin_cannot_step_down(admin_membership: Membership) -> None:
    client = admin_client(admin_membership)
    response = client.post(
        reverse("accounts:member-role", args=["crew", admin_membership.pk]), {"role": "member"}
    )
    assert response.status_code == 302
    assert any("keeps at least one team admin" in text for text in messages_of(response))
    admin_membership.refresh_from_db()
    assert admin_membership.role == Membership.Role.ADMIN


def test_the_only_admin_cannot_be_removed(admin_membership: Membership) -> None:
    client = admin_client(admin_membership)
    response = client.post(reverse("accounts:member-remove", args=["crew", admin_membership.pk]))
    assert any("keeps at least one team admin" in text for text in messages_of(response))
    assert Membership.objects.filter(pk=admin_membership.pk).exists()


def test_with_a_second_admin_the_first_may_leave(admin_membership: Membership) -> None:
    bob = Membership.objects.get(user__username="bob")
    client = admin_client(admin_membership)
    client.post(reverse("accounts:member-role", args=["crew", bob.pk]), {"role": "admin"})
    response = client.post(reverse("accounts:member-remove", args=["crew", admin_membership.pk]))
    assert "Removed alice from Crew." in messages_of(response)
    assert response["Location"] == reverse("gallery:index")
    assert list(Membership.objects.values_list("user__username", "role")) == [("bob", "admin")]
    # Gone from the team, alice cannot manage it any more.
    response = client.post(reverse("accounts:member-remove", args=["crew", bob.pk]))
    assert response.status_code == 404


def test_a_member_can_be_demoted_and_removed_freely(admin_membership: Membership) -> None:
    bob = Membership.objects.get(user__username="bob")
    services.team_member_set_role(membership=bob, role=Membership.Role.MEMBER)
    services.team_member_remove(membership=bob)
    assert not Membership.objects.filter(pk=bob.pk).exists()


def test_adding_by_email_and_the_errors_said_in_words(admin_membership: Membership) -> None:
    UserFactory(username="carol", email="Carol@Example.com")
    UserFactory(username="dave", is_active=False)
    client = admin_client(admin_membership)
    url = reverse("accounts:member-add", args=["crew"])

    response = client.post(url, {"username_or_email": " carol@example.com ", "role": "admin"})
    assert "Added carol to Crew." in messages_of(response)
    assert Membership.objects.get(user__username="carol").role == Membership.Role.ADMIN

    response = client.post(url, {"username_or_email": "bob", "role": "member"})
    assert "bob is already a member of Crew." in messages_of(response)
    response = client.post(url, {"username_or_email": "nobody", "role": "member"})
    assert "No one can be added as “nobody”. Check the username or email." in messages_of(response)
    response = client.post(url, {"username_or_email": "dave", "role": "member"})
    assert "No one can be added as “dave”. Check the username or email." in messages_of(response)
    response = client.post(url, {"username_or_email": "nobody", "role": "owner"})
    assert "Give the username or email of an existing user and a role." in messages_of(response)
    assert Membership.objects.count() == 3


@pytest.mark.security
def test_the_answer_for_a_name_tells_nothing_about_which_accounts_exist(
    admin_membership: Membership,
) -> None:
    UserFactory(username="dave", email="dave@example.com", is_active=False)
    url = reverse("accounts:member-add", args=["crew"])

    def answer(value: str) -> str:
        response = admin_client(admin_membership).post(
            url, {"username_or_email": value, "role": "member"}
        )
        (message,) = messages_of(response)
        return message.replace(value, "NAME")

    answers = {answer(value) for value in ("nobody", "dave", "dave@example.com", "x@example.org")}
    assert answers == {"No one can be added as “NAME”. Check the username or email."}
    assert Membership.objects.count() == 2


def test_being_added_to_a_team_keeps_the_team_one_works_for(
    admin_membership: Membership,
) -> None:
    """Carol works for Zeta, her only team, and never chose one in the header: Crew (first in
    the list) is added, yet her quota and her share button still follow Zeta."""
    zeta = TeamFactory(name="Zeta", slug="zeta")
    carol = MembershipFactory(team=zeta, user__username="carol").user
    carols = Client()
    carols.force_login(carol)
    assert carols.get(reverse("gallery:index")).context["current_team"] == zeta

    admin_client(admin_membership).post(
        reverse("accounts:member-add", args=["crew"]),
        {"username_or_email": "carol", "role": "member"},
    )
    assert Membership.objects.filter(team__slug="crew", user=carol).exists()

    page = carols.get(reverse("gallery:index"))
    assert page.context["current_team"] == zeta
    assert "Share with Zeta" in page.content.decode()
    carols.post(reverse("gallery:generate"), GENERATION_FORM)
    assert list(Generation.objects.filter(user=carol).values_list("team__slug", flat=True)) == [
        "zeta"
    ]
    # A new session starts with the same team.
    carols.logout()
    carols.force_login(carol)
    assert carols.get(reverse("gallery:index")).context["current_team"] == zeta


def test_the_added_member_is_told_who_added_them_until_they_dismiss_it(
    admin_membership: Membership,
) -> None:
    zeta = TeamFactory(name="Zeta", slug="zeta")
    carol = MembershipFactory(team=zeta, user__username="carol").user
    admin = admin_client(admin_membership)
    admin.post(
        reverse("accounts:member-add", args=["crew"]),
        {"username_or_email": "carol", "role": "admin"},
    )
    notice = "alice added you to Crew as a team admin."
    assert notice not in admin.get(reverse("gallery:index")).content.decode()

    carols = Client()
    carols.force_login(carol)
    for page in (reverse("gallery:index"), reverse("gallery:library")):
        text = carols.get(page).content.decode()
        assert notice in text
        assert "You still work for Zeta; switch teams in the header to work for Crew." in text

    dismiss = reverse("accounts:notice-dismiss", args=["crew"])
    response = carols.post(dismiss, {"next": reverse("gallery:library")})
    assert response["Location"] == reverse("gallery:library")
    assert notice not in carols.get(reverse("gallery:index")).content.decode()
    # Someone who is not in the team cannot touch its notices.
    assert (
        admin_client(MembershipFactory(team=zeta))
        .post(reverse("accounts:notice-dismiss", args=["crew"]))
        .status_code
        == 404
    )


def test_a_role_that_does_not_exist_changes_nothing(admin_membership: Membership) -> None:
    bob = Membership.objects.get(user__username="bob")
    client = admin_client(admin_membership)
    response = client.post(
        reverse("accounts:member-role", args=["crew", bob.pk]), {"role": "superuser"}
    )
    assert "That is not a role." in messages_of(response)
    bob.refresh_from_db()
    assert bob.role == Membership.Role.MEMBER


def test_the_team_page_lists_members_for_admins_to_manage(admin_membership: Membership) -> None:
    html = admin_client(admin_membership).get(reverse("accounts:team", args=["crew"]))
    text = html.content.decode()
    assert "You are a team admin of this team." in text
    assert "Role of bob" in text and 'Remove<span class="visually-hidden"> bob' in text


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin() -> None:
    crew = TeamFactory(name="Crew", slug="crew")
    alice = MembershipFactory(team=crew, user__username="alice", role=Membership.Role.ADMIN)
    bob = MembershipFactory(team=crew, user__username="bob", role=Membership.Role.ADMIN)
    first_done = threading.Event()
    outcome: dict[str, str] = {}

    def demote_bob_and_hold() -> None:
        try:
            with transaction.atomic():
                services.team_member_set_role(membership=bob, role=Membership.Role.MEMBER)
                first_done.set()
                # Keep the transaction open until alice's demotion waits on it (or plainly
                # cannot, when nothing locks), so the two checks overlap.
                for _ in range(100):
                    if _waiting_on_a_lock():
                        break
                    threading.Event().wait(0.05)
            outcome["bob"] = "demoted"
        finally:
            connection.close()

    def demote_alice() -> None:
        try:
            first_done.wait(10)
            services.team_member_set_role(membership=alice, role=Membership.Role.MEMBER)
            outcome["alice"] = "demoted"
        except services.MembershipError:
            outcome["alice"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=demote_bob_and_hold), threading.Thread(target=demote_alice)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome == {"bob": "demoted", "alice": "refused"}
    admins = Membership.objects.filter(role=Membership.Role.ADMIN)
    assert list(admins.values_list("user__username", flat=True)) == ["alice"]
