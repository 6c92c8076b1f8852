"""Moderation's effects end to end: reports into cases, hiding, strikes, suspension (on an open
session, login, submitting, queued work and the library), refusals that open a case and hold
submissions, and an audit row for every action in an append-only log."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from audit.models import AuditEntry
from gallery import selectors, services
from gallery.models import GeneratedImage, Generation
from gallery.values import GenerationParams
from moderation import services as moderation
from moderation.models import Case, Notice, Report, Strike
from moderation.selectors import user_record
from moderation.services import ModerationError
from tests.conftest import wait_for
from tests.factories import PASSWORD, GeneratedImageFactory, GenerationFactory, UserFactory
from tests.team_world import TeamWorld, build_world, share

pytestmark = [pytest.mark.moderation, pytest.mark.django_db]


def make_moderator(username: str = "mod") -> Any:
    permission = Permission.objects.get(codename="moderate", content_type__app_label="moderation")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(permission)
    moderator = UserFactory(username=username)
    moderator.groups.add(group)
    return moderator


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def params(prompt: str, n: int = 1) -> GenerationParams:
    return GenerationParams(
        prompt, "meetkai:z-image-turbo", n, "256x256", "standard", "vivid", "url"
    )


def audited(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


@pytest.fixture
def world() -> TeamWorld:
    return build_world()


@pytest.fixture
def moderator() -> Any:
    return make_moderator()


def reported_case(world: TeamWorld, reason: str = "spam") -> Case:
    moderation.report_submit(reporter=world.teammate, image=world.shared, reason=reason)
    return Case.objects.get(image=world.shared)


# -- reports and cases -----------------------------------------------------------------------------


def test_reports_of_one_image_merge_and_a_second_report_changes_nothing(world: TeamWorld) -> None:
    third = UserFactory(username="carol")
    world.crew.memberships.create(user=third)
    assert moderation.report_submit(reporter=world.teammate, image=world.shared, reason="spam")
    assert not moderation.report_submit(
        reporter=world.teammate, image=world.shared, reason="violence"
    )
    assert moderation.report_submit(
        reporter=third, image=world.shared, reason="violence", note="gory"
    )
    case = Case.objects.get()
    assert (case.kind, case.status, case.report_count) == ("image", "open", 2)
    assert case.subject == world.owner and case.prompt == world.shared.generation.prompt
    assert set(case.reports.values_list("reason", flat=True)) == {"spam", "violence"}
    assert Report.objects.count() == 2


def test_a_report_after_a_dismissal_reopens_the_case(world: TeamWorld, moderator: Any) -> None:
    case = reported_case(world)
    moderation.case_dismiss(moderator=moderator, case_id=case.pk, version=case.version, reason="ok")
    assert Case.objects.get().status == "dismissed"
    third = UserFactory(username="carol")
    world.crew.memberships.create(user=third)
    moderation.report_submit(reporter=third, image=world.shared, reason="other")
    case = Case.objects.get()
    assert (case.status, case.report_count, case.outcome) == ("open", 2, "")


def test_an_action_on_a_case_that_changed_since_it_was_loaded_is_refused(
    world: TeamWorld, moderator: Any
) -> None:
    case = reported_case(world)
    seen = case.version
    moderation.case_dismiss(moderator=moderator, case_id=case.pk, version=seen, reason="fine")
    with pytest.raises(ModerationError, match="changed since you loaded it"):
        moderation.case_hide_image(moderator=moderator, case_id=case.pk, version=seen, reason="x")
    assert GeneratedImage.objects.get(pk=world.shared.pk).hidden_at is None
    assert len(audited("case.dismiss")) == 1 and not audited("image.hide")


def test_a_moderator_cannot_act_on_their_own_image_another_moderators_or_a_superusers(
    world: TeamWorld, moderator: Any
) -> None:
    own = share(GeneratedImageFactory(generation__user=moderator), world.crew)
    world.crew.memberships.create(user=moderator)
    moderation.report_submit(reporter=world.teammate, image=own, reason="spam")
    case = Case.objects.get(image=own)
    with pytest.raises(ModerationError, match="your own"):
        moderation.case_hide_image(
            moderator=moderator, case_id=case.pk, version=case.version, reason="x"
        )
    other = make_moderator("mod2")
    with pytest.raises(ModerationError, match="moderator"):
        moderation.user_suspend(moderator=other, user=moderator, reason="x")
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    with pytest.raises(ModerationError, match="Superusers"):
        moderation.user_suspend(moderator=moderator, user=boss, reason="x")
    assert not AuditEntry.objects.filter(action__in=["image.hide", "user.suspend"]).exists()


def test_a_case_outlives_the_image_deleted_for_good(world: TeamWorld) -> None:
    case = reported_case(world)
    assert case.thumbnail.name
    services.images_trash(user=world.owner, image_ids=[world.shared.pk])
    services.trash_empty(user=world.owner)
    case.refresh_from_db()
    assert case.image is None and case.prompt == world.shared.generation.prompt
    assert case.thumbnail.storage.exists(case.thumbnail.name)
    assert Report.objects.get().image_id == world.shared.pk


# -- hiding ---------------------------------------------------------------------------------------


def test_a_hidden_image_leaves_the_library_search_remix_and_favorites_for_others(
    world: TeamWorld, moderator: Any
) -> None:
    services.favorites_set(user=world.teammate, image_ids=[world.shared.pk], favorite=True)
    case = reported_case(world)
    moderation.case_hide_image(
        moderator=moderator, case_id=case.pk, version=case.version, reason="Graphic violence."
    )
    image = GeneratedImage.objects.get(pk=world.shared.pk)
    assert image.is_hidden and image.hidden_reason == "Graphic violence."
    assert not GeneratedImage.objects.in_library(world.crew).exists()
    assert world.shared.pk not in set(
        GeneratedImage.objects.visible_to(world.teammate).values_list("pk", flat=True)
    )
    assert selectors.remix_source(world.teammate, world.shared.pk) is None
    library = logged_in(world.teammate).get(
        reverse("gallery:library") + "?q=lighthouse&favorites=on"
    )
    assert world.shared.generation.prompt not in library.content.decode()
    refused = logged_in(world.teammate).get(reverse("gallery:image-file", args=[world.shared.pk]))
    assert refused.status_code == 404
    assert world.shared.generation.prompt not in refused.content.decode()
    # The owner still sees it, marked, and cannot share it again.
    assert selectors.get_visible_image(world.owner, world.shared.pk) == image
    services.images_unshare(user=world.owner, image_ids=[image.pk])
    shared = services.images_share(membership=world.owner_membership, image_ids=[image.pk])
    assert shared == 0
    notice = Notice.objects.get(user=world.owner)
    assert (notice.kind, notice.reason) == ("hidden", "Graphic violence.")
    (entry,) = audited("image.hide")
    assert (entry.actor_id, entry.target_id, entry.reason) == (
        moderator.pk,
        case.pk,
        "Graphic violence.",
    )


def test_restoring_a_hidden_image_returns_it_to_the_library(
    world: TeamWorld, moderator: Any
) -> None:
    case = reported_case(world)
    moderation.case_hide_image(
        moderator=moderator, case_id=case.pk, version=case.version, reason="x"
    )
    moderation.report_submit(reporter=UserFactory(), image=world.shared, reason="other")
    case.refresh_from_db()
    moderation.case_restore_image(
        moderator=moderator, case_id=case.pk, version=case.version, reason="On appeal."
    )
    assert GeneratedImage.objects.in_library(world.crew).get() == world.shared
    assert len(audited("image.restore")) == 1


def test_the_owner_appeals_once_and_the_case_reopens(world: TeamWorld, moderator: Any) -> None:
    case = reported_case(world)
    moderation.case_hide_image(
        moderator=moderator, case_id=case.pk, version=case.version, reason="x"
    )
    moderation.case_appeal(user=world.owner, case_id=case.pk, text="It is a lighthouse.")
    case.refresh_from_db()
    assert (case.status, case.appeal_text) == ("open", "It is a lighthouse.")
    with pytest.raises(ModerationError):
        moderation.case_appeal(user=world.owner, case_id=case.pk, text="again")
    with pytest.raises(ModerationError):
        moderation.case_appeal(user=world.teammate, case_id=case.pk, text="not mine")
    assert len(audited("case.appeal")) == 1


def test_a_team_admin_takes_an_image_out_of_the_library_audited(world: TeamWorld) -> None:
    from django.http import Http404

    image = share(GeneratedImageFactory(generation__user=world.teammate), world.crew)
    with pytest.raises(Http404):
        selectors.get_library_image_for_admin(world.teammate, image.pk)
    found = selectors.get_library_image_for_admin(world.owner, image.pk)
    services.library_image_remove(admin=world.owner, image=found, reason="Off topic.")
    assert not GeneratedImage.objects.in_library(world.crew).filter(pk=image.pk).exists()
    (entry,) = audited("library.remove")
    assert (entry.actor_id, entry.target_id, entry.reason) == (
        world.owner.pk,
        image.pk,
        "Off topic.",
    )


# -- strikes and suspension ---------------------------------------------------------------------


def test_strikes_are_counted_and_enough_of_them_suspend(
    world: TeamWorld, moderator: Any, settings: Any
) -> None:
    settings.MODERATION_STRIKES_TO_SUSPEND = 2
    for number in range(2):
        image = share(GeneratedImageFactory(generation__user=world.owner), world.crew)
        moderation.report_submit(reporter=world.teammate, image=image, reason="spam")
        case = Case.objects.get(image=image)
        moderation.case_strike(
            moderator=moderator, case_id=case.pk, version=case.version, reason=f"spam {number}"
        )
    assert Strike.objects.filter(user=world.owner).count() == 2
    profile = Profile.objects.get(user=world.owner)
    assert profile.is_suspended and "2 strikes" in profile.suspended_reason
    (suspension,) = audited("user.suspend")
    assert suspension.source == "system" and suspension.actor_id is None
    assert len(audited("user.strike")) == 2


def test_suspension_ends_the_session_holds_work_and_empties_the_library(
    world: TeamWorld, moderator: Any
) -> None:
    browser = Client()
    assert browser.login(username=world.owner.username, password=PASSWORD)
    queued = GenerationFactory(user=world.owner, status=Generation.Status.QUEUED, n=3, charged=3)
    done = GenerationFactory(user=world.owner)

    moderation.user_suspend(moderator=moderator, user=world.owner, reason="Repeated spam.")

    # The open session: the next request is logged out and sent to the login page.
    response = browser.get(reverse("gallery:index"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "Your account is suspended: Repeated spam." in response.content.decode()
    assert "_auth_user_id" not in browser.session
    # Login: a correct password is told why; a wrong one gets the usual message.
    login = Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert "This account is suspended: Repeated spam." in login.content.decode()
    wrong = Client().post(reverse("login"), {"username": "alice", "password": "nope"})
    assert "suspended" not in wrong.content.decode()
    # Queued work is canceled and refunded; finished work stays.
    queued.refresh_from_db()
    assert (queued.status, queued.charged) == ("canceled", 0)
    assert Generation.objects.get(pk=done.pk).status == "succeeded"
    # No submitting, and the shared image leaves the library until the account is restored.
    with pytest.raises(services.SubmissionRefused, match="suspended"):
        services.generation_submit(user=world.owner, params=params("a new lighthouse"))
    assert not GeneratedImage.objects.in_library(world.crew).exists()
    assert Notice.objects.filter(user=world.owner, kind="suspended").exists()

    moderation.user_restore(moderator=moderator, user=world.owner, reason="Appeal accepted.")
    assert GeneratedImage.objects.in_library(world.crew).get() == world.shared
    assert Client().login(username="alice", password=PASSWORD)
    assert [entry.action for entry in AuditEntry.objects.order_by("id")] == [
        "user.suspend",
        "user.restore",
    ]


def test_the_suspension_check_adds_no_query_to_a_page(world: TeamWorld, moderator: Any) -> None:
    from django.test.utils import CaptureQueriesContext

    client = logged_in(world.teammate)
    client.get(reverse("gallery:library"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("gallery:library"))
    Profile.objects.create(user=world.teammate, daily_image_limit=50)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("gallery:library"))
    assert len(after) == len(before)
    assert "profile" in after.captured_queries[1]["sql"].lower()


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_refusals_open_a_user_case_and_hold_submissions_until_reviewed(
    celery_worker: Any, settings: Any
) -> None:
    settings.MODERATION_REFUSALS_THRESHOLD = 3
    user = UserFactory(username="mallory")
    moderator = make_moderator()
    refused = [
        services.generation_submit(user=user, params=params(f"something forbidden, take {n}"))
        for n in range(3)
    ]

    def all_refused() -> bool | None:
        """three refusals from the stand-in's policy word"""
        statuses = set(
            Generation.objects.filter(pk__in=[g.pk for g in refused]).values_list(
                "status", flat=True
            )
        )
        return statuses == {"refused"} or None

    wait_for(all_refused, timeout=60)
    with pytest.raises(services.SubmissionRefused, match="refused by the content policy"):
        services.generation_submit(user=user, params=params("a harmless lighthouse"))
    assert Generation.objects.filter(user=user).count() == 3

    (case,) = moderation.open_refusal_cases()
    assert (case.kind, case.subject, case.status) == ("user", user, "open")
    assert moderation.open_refusal_cases() == []
    record = user_record(user)
    assert sum(count for _day, count in record.refusals_by_day) == 3
    assert {generation.prompt for generation in record.refused} == {g.prompt for g in refused}

    moderation.case_dismiss(moderator=moderator, case_id=case.pk, version=case.version, reason="ok")
    allowed = services.generation_submit(user=user, params=params("a harmless lighthouse"))
    assert allowed.status == "queued"
    assert [entry.action for entry in AuditEntry.objects.order_by("id")] == [
        "case.open",
        "case.dismiss",
    ]


# -- the audit log --------------------------------------------------------------------------------


def test_the_audit_log_rejects_update_and_delete_in_the_database(world: TeamWorld) -> None:
    from audit.services import audit_record

    entry = audit_record(actor=world.owner, action="test.entry", target_type="user", target_id=1)
    for statement in (
        "UPDATE audit_auditentry SET reason = 'changed'",
        "DELETE FROM audit_auditentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_moderation_actions_audit_before_any_later_change(world: TeamWorld, moderator: Any) -> None:
    case = reported_case(world)
    moderation.case_dismiss(
        moderator=moderator, case_id=case.pk, version=case.version, reason="fine"
    )
    (entry,) = audited("case.dismiss")
    assert entry.actor_name == "mod" and entry.target_type == "case"
    assert entry.created_at <= timezone.now()
