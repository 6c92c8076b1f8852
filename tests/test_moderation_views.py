"""The moderation pages: who may open them, reporting, the queue and its actions, what owners
and reporters are told, appeals, and the audit log with its CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from audit.models import AuditEntry
from audit.services import audit_record
from gallery.models import GeneratedImage, Generation
from moderation import services
from moderation.csvsafe import csv_safe
from moderation.models import Case, Notice
from tests.factories import GeneratedImageFactory, GenerationFactory, MembershipFactory, UserFactory
from tests.team_world import TeamWorld, build_world, share

pytestmark = [pytest.mark.moderation, pytest.mark.django_db]


def moderators_group() -> Group:
    """The group the data migration makes; a transactional test's flush empties the tables, so
    it is made again here when it is gone."""
    content_type = ContentType.objects.get_for_model(Case)
    permission, _ = Permission.objects.get_or_create(
        codename="moderate",
        content_type=content_type,
        defaults={"name": "Can moderate reports, images and users"},
    )
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(permission)
    return group


def make_moderator(username: str = "mona") -> User:
    user = UserFactory(username=username)
    user.groups.add(moderators_group())
    return user


def logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def report(client: Client, image: GeneratedImage, reason: str = "violence", note: str = "") -> Any:
    url = reverse("moderation:report", args=[image.pk])
    return client.post(url, {"reason": reason, "note": note}, follow=True)


def act(
    client: Client, case: Case, action: str, reason: str = "Against the rules", **extra: Any
) -> Any:
    data = {"action": action, "reason": reason, "version": case.version, **extra}
    return client.post(reverse("moderation:case-act", args=[case.pk]), data)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def world() -> TeamWorld:
    return build_world()


@pytest.fixture
def moderator() -> User:
    return make_moderator()


@pytest.fixture
def reported(world: TeamWorld) -> Case:
    """The shared image, reported once by bob."""
    services.report_submit(reporter=world.teammate, image=world.shared, reason="violence")
    return Case.objects.get(image=world.shared)


# -- who may open what ------------------------------------------------------------------------

# name: (method, the URL's argument, the POST body)
MODERATOR_PAGES: dict[str, tuple[str, str | None, Callable[[Case], dict[str, Any]] | None]] = {
    "moderation:queue": ("get", None, None),
    "moderation:case": ("get", "case", None),
    "moderation:case-act": (
        "post", "case", lambda case: {"action": "dismiss", "reason": "ok", "version": case.version}
    ),
    "moderation:case-thumbnail": ("get", "case", None),
    "moderation:image-file": ("get", "image", None),
    "moderation:image-thumbnail": ("get", "image", None),
    "moderation:user": ("get", "user", None),
    "moderation:user-act": ("post", "user", lambda case: {"action": "suspend", "reason": "spam"}),
    "moderation:refusals": ("get", None, None),
    "moderation:audit": ("get", None, None),
    "moderation:audit-csv": ("get", None, None),
}  # fmt: skip


def people(world: TeamWorld, who: str) -> User | None:
    if who == "plain":
        return world.teammate
    if who == "team_admin":
        return world.outsider
    if who == "moderator":
        return make_moderator()
    if who == "superuser":
        return UserFactory(username="root", is_superuser=True, is_staff=True)
    if who == "suspended":
        user = MembershipFactory(team=world.crew, user__username="sam").user
        Profile.objects.create(user=user, suspended_at=timezone.now(), suspended_reason="spam")
        return user
    return None


def request_page(client: Client, name: str, world: TeamWorld, case: Case) -> Any:
    method, target, body = MODERATOR_PAGES[name]
    pk = {"case": case.pk, "image": world.shared.pk, "user": world.owner.pk}.get(target or "")
    url = reverse(name, args=[pk] if pk else [])
    if method == "post":
        assert body is not None
        return client.post(url, body(case))
    return client.get(url)


@pytest.mark.parametrize("name", MODERATOR_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("plain", 404), ("team_admin", 404), ("moderator", "ok"), ("superuser", "ok"),
        ("suspended", "login"), ("anonymous", "login"),
    ],
)  # fmt: skip
def test_moderation_pages_are_for_moderators_only(
    world: TeamWorld, reported: Case, name: str, who: str, expected: int | str
) -> None:
    user = people(world, who)
    client = logged_in(user)
    response = request_page(client, name, world, reported)
    if expected == "ok":
        assert response.status_code == (302 if MODERATOR_PAGES[name][0] == "post" else 200)
        if response.status_code == 302:
            assert not response.url.startswith(reverse("login"))
    elif expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        if who == "suspended":
            assert "suspended=1" in response.url
            assert "_auth_user_id" not in client.session  # logged out
    else:
        assert response.status_code == expected
        assert world.shared.generation.prompt not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "name", "expected"),
    [
        ("teammate", "moderation:report", 302), ("outsider", "moderation:report", 404),
        ("owner", "moderation:report", 404), ("anonymous", "moderation:report", "login"),
        ("suspended", "moderation:report", "login"),
        ("teammate", "moderation:my-reports", 200), ("anonymous", "moderation:my-reports", "login"),
        ("suspended", "moderation:my-reports", "login"),
        ("owner", "moderation:notices", 200), ("anonymous", "moderation:notices", "login"),
        ("suspended", "moderation:notices", "login"),
        ("owner", "moderation:appeal", 302), ("anonymous", "moderation:appeal", "login"),
    ],
)  # fmt: skip
def test_reporting_and_notices_are_for_every_logged_in_user(
    world: TeamWorld, reported: Case, who: str, name: str, expected: int | str
) -> None:
    user = people(world, who) if who in ("suspended", "anonymous") else world.user(who)
    client = logged_in(user)
    if name == "moderation:report":
        response = client.post(reverse(name, args=[world.shared.pk]), {"reason": "spam"})
    elif name == "moderation:appeal":
        response = client.post(reverse(name, args=[reported.pk]), {"text": "Please look again"})
    else:
        response = client.get(reverse(name))
    if expected == "login":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


def test_the_header_links_to_moderation_for_moderators_only(
    world: TeamWorld, moderator: User
) -> None:
    queue = f'href="{reverse("moderation:queue")}"'
    assert queue in logged_in(moderator).get(reverse("gallery:index")).content.decode()
    html = logged_in(world.teammate).get(reverse("gallery:index")).content.decode()
    assert queue not in html
    assert reverse("moderation:notices") in html and reverse("moderation:my-reports") in html


# -- reporting ----------------------------------------------------------------------------------


def test_reports_of_one_image_merge_into_one_case_and_reporting_twice_changes_nothing(
    world: TeamWorld,
) -> None:
    carl = MembershipFactory(team=world.crew, user__username="carl").user
    bob = logged_in(world.teammate)
    response = report(bob, world.shared, "violence", "blood everywhere")
    assert response.redirect_chain[-1][0] == reverse(
        "gallery:library-image", args=[world.shared.pk]
    )
    assert "Thanks, your report was received." in messages_of(response)
    report(logged_in(carl), world.shared, "harassment")

    response = report(bob, world.shared, "spam")
    assert "You have already reported this image." in messages_of(response)
    case = Case.objects.get()
    assert case.report_count == 2 and case.status == Case.Status.OPEN
    assert sorted(case.reports.values_list("reason", flat=True)) == ["harassment", "violence"]
    # The library page now says bob reported it, and offers no second report.
    html = bob.get(reverse("gallery:library-image", args=[world.shared.pk])).content.decode()
    assert "You reported this image." in html and "Report this image" not in html


def test_the_owner_is_offered_no_report_form_and_teammates_are(world: TeamWorld) -> None:
    url = reverse("gallery:library-image", args=[world.shared.pk])
    assert "Report this image" not in logged_in(world.owner).get(url).content.decode()
    html = logged_in(world.teammate).get(url).content.decode()
    assert "Report this image" in html
    assert reverse("moderation:report", args=[world.shared.pk]) in html
    # bob is no team admin: no form to take the image out of the library.
    assert reverse("gallery:library-remove", args=[world.shared.pk]) not in html


def test_a_team_admin_can_take_an_image_out_of_the_library_from_its_page(
    world: TeamWorld,
) -> None:
    bobs = share(
        GeneratedImageFactory(generation=GenerationFactory(user=world.teammate, team=world.crew)),
        world.crew,
    )
    alice = logged_in(world.owner)
    html = alice.get(reverse("gallery:library-image", args=[bobs.pk])).content.decode()
    assert reverse("gallery:library-remove", args=[bobs.pk]) in html
    alice.post(reverse("gallery:library-remove", args=[bobs.pk]), {"reason": "Off topic"})
    bobs.refresh_from_db()
    assert bobs.shared_team_id is None


def test_a_dismissed_case_reopens_on_a_new_report(
    world: TeamWorld, reported: Case, moderator: User
) -> None:
    response = act(logged_in(moderator), reported, "dismiss", "Nothing wrong with it")
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.status == Case.Status.DISMISSED

    carl = MembershipFactory(team=world.crew, user__username="carl").user
    report(logged_in(carl), world.shared, "sexual")
    reported.refresh_from_db()
    assert reported.status == Case.Status.OPEN and reported.report_count == 2
    html = logged_in(moderator).get(reverse("moderation:queue")).content.decode()
    assert f"Case {reported.pk}" in html


# -- the queue and a case --------------------------------------------------------------------


def test_the_queue_shows_each_case_with_its_reports_and_its_creators_record(
    world: TeamWorld, reported: Case, moderator: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(4):
        image = share(
            GeneratedImageFactory(
                generation=GenerationFactory(user=world.owner, team=world.crew, prompt=f"pic {n}")
            ),
            world.crew,
        )
        services.report_submit(reporter=world.teammate, image=image, reason="spam")
    GenerationFactory(
        user=world.owner, status=Generation.Status.REFUSED, error_kind="content_policy"
    )
    client = logged_in(moderator)
    client.get(reverse("moderation:queue"))  # the session's first write
    with django_assert_max_num_queries(10):
        response = client.get(reverse("moderation:queue"))
    html = response.content.decode()
    assert html.count('data-case tabindex="-1"') == 5
    assert reverse("moderation:case-thumbnail", args=[reported.pk]) in html
    assert "a lighthouse in the fog" in html and "a lighthouse in the fog, at dusk" in html
    assert reverse("moderation:user", args=[world.owner.pk]) in html
    assert "1 refusal in 30 days" in html and "0 strikes" in html
    assert "Violence</span> by bob" in html
    assert html.count("<h1") == 1


def test_the_queue_pages_by_keyset_in_either_order(
    world: TeamWorld, moderator: User, settings: Any
) -> None:
    settings.MODERATION_PAGE_SIZE = 2
    images = [
        share(GeneratedImageFactory(generation=GenerationFactory(user=world.owner)), world.crew)
        for _ in range(3)
    ]
    for image in images:
        services.report_submit(reporter=world.teammate, image=image, reason="spam")
    carl = MembershipFactory(team=world.crew, user__username="carl").user
    services.report_submit(reporter=carl, image=images[2], reason="spam")
    cases = {case.image_id: case.pk for case in Case.objects.all()}
    client = logged_in(moderator)

    def listed(html: str) -> list[int]:
        return [int(pk) for pk in re.findall(r'id="case-(\d+)" data-case', html)]

    for sort, expected in (
        ("oldest", [cases[image.pk] for image in images]),
        ("reported", [cases[images[2].pk], cases[images[0].pk], cases[images[1].pk]]),
    ):
        first = client.get(reverse("moderation:queue"), {"sort": sort}).content.decode()
        cursor = re.search(r"cursor=([\w-]+)", first)
        assert cursor is not None
        second = client.get(reverse("moderation:queue"), {"sort": sort, "cursor": cursor[1]})
        assert listed(first) + listed(second.content.decode()) == expected


def test_invalid_input_shows_the_case_again_with_the_errors(
    reported: Case, moderator: User
) -> None:
    response = act(logged_in(moderator), reported, "hide", reason="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert 'value="hide" required checked' in html
    assert f'name="version" value="{reported.version}"' in html
    reported.refresh_from_db()
    assert reported.status == Case.Status.OPEN


def test_a_stale_version_is_refused_with_a_message(
    world: TeamWorld, reported: Case, moderator: User
) -> None:
    client = logged_in(moderator)
    page = client.get(reverse("moderation:case", args=[reported.pk])).content.decode()
    assert f'name="version" value="{reported.version}"' in page
    carl = MembershipFactory(team=world.crew, user__username="carl").user
    services.report_submit(reporter=carl, image=world.shared, reason="spam")  # version + 1

    response = act(client, reported, "hide")
    assert response.status_code == 302
    assert response.url.startswith(reverse("moderation:case", args=[reported.pk]))
    page = client.get(response.url)
    assert any("changed since you loaded it" in text for text in messages_of(page))
    world.shared.refresh_from_db()
    assert not world.shared.is_hidden


def test_a_moderator_cannot_act_on_their_own_image(world: TeamWorld) -> None:
    moderator = make_moderator()
    MembershipFactory(team=world.crew, user=moderator)
    own = share(
        GeneratedImageFactory(generation=GenerationFactory(user=moderator, team=world.crew)),
        world.crew,
    )
    services.report_submit(reporter=world.teammate, image=own, reason="spam")
    case = Case.objects.get(image=own)
    client = logged_in(moderator)
    page = client.get(act(client, case, "hide").url)
    assert "You cannot act on your own content or account." in messages_of(page)
    own.refresh_from_db()
    assert not own.is_hidden


def test_acting_goes_on_to_the_next_case(world: TeamWorld, reported: Case, moderator: User) -> None:
    other = share(GeneratedImageFactory(generation=GenerationFactory(user=world.owner)), world.crew)
    services.report_submit(reporter=world.teammate, image=other, reason="spam")
    following = Case.objects.get(image=other)
    response = act(logged_in(moderator), reported, "dismiss")
    assert response.url == f"{reverse('moderation:case', args=[following.pk])}?sort=oldest"
    response = act(logged_in(moderator), following, "dismiss", return_to="queue")
    assert response.url == f"{reverse('moderation:queue')}?sort=oldest"


def test_hiding_an_image_takes_it_away_from_everyone_but_its_owner(
    world: TeamWorld, reported: Case, moderator: User
) -> None:
    response = act(logged_in(moderator), reported, "hide", "Graphic violence")
    assert response.status_code == 302
    bob = logged_in(world.teammate)
    library = bob.get(reverse("gallery:library")).content.decode()
    assert f'id="image-{world.shared.pk}"' not in library
    found = bob.get(reverse("gallery:library"), {"q": "lighthouse"}).content.decode()
    assert f'id="image-{world.shared.pk}"' not in found
    for name in (
        "gallery:image-file", "gallery:image-thumbnail", "gallery:library-image",
        "gallery:library-remix",
    ):  # fmt: skip
        response = bob.get(reverse(name, args=[world.shared.pk]))
        assert response.status_code == 404, name
        assert "lighthouse" not in response.content.decode()

    # The owner still sees it, marked, and cannot share it again.
    alice = logged_in(world.owner)
    html = alice.get(reverse("gallery:image", args=[world.shared.pk])).content.decode()
    assert (
        "Hidden by a moderator: Graphic violence. Only you and moderators see it; it cannot be "
        "shared." in html
    )
    assert alice.get(reverse("gallery:image-file", args=[world.shared.pk])).status_code == 200
    alice.post(reverse("gallery:image-unshare", args=[world.shared.pk]))
    alice.post(reverse("gallery:image-share", args=[world.shared.pk]), {"team": "crew"})
    world.shared.refresh_from_db()
    assert world.shared.shared_team_id is None and world.shared.is_hidden
    # A moderator still opens it.
    url = reverse("moderation:image-file", args=[world.shared.pk])
    assert logged_in(moderator).get(url).status_code == 200


def test_a_private_image_nobody_reported_is_no_moderators_business(
    world: TeamWorld, moderator: User
) -> None:
    client = logged_in(moderator)
    for name in ("moderation:image-file", "moderation:image-thumbnail"):
        assert client.get(reverse(name, args=[world.private.pk])).status_code == 404


# -- what reporters and owners are told ------------------------------------------------------


def test_the_reporter_sees_the_outcome_in_my_reports_and_no_other_reporter(
    world: TeamWorld, reported: Case, moderator: User
) -> None:
    carl = MembershipFactory(team=world.crew, user__username="carl").user
    services.report_submit(reporter=carl, image=world.shared, reason="spam")
    bob = logged_in(world.teammate)
    html = bob.get(reverse("moderation:my-reports")).content.decode()
    assert "a lighthouse in the fog" in html and "Received" in html

    reported.refresh_from_db()
    act(logged_in(moderator), reported, "hide", "Graphic violence")
    html = bob.get(reverse("moderation:my-reports")).content.decode()
    assert "Reviewed" in html and "The image was hidden." in html
    assert "Violence" in html and "carl" not in html and "Spam" not in html
    assert html.count("<h1") == 1


def test_the_owner_is_told_why_and_may_appeal_once(
    world: TeamWorld, reported: Case, moderator: User
) -> None:
    act(logged_in(moderator), reported, "hide", "Graphic violence")
    alice = logged_in(world.owner)
    html = alice.get(reverse("moderation:notices")).content.decode()
    assert "Image hidden" in html and "Reason: Graphic violence" in html
    appeal_url = reverse("moderation:appeal", args=[reported.pk])
    assert appeal_url in html

    response = alice.post(appeal_url, {"text": "It is a painting of a storm."}, follow=True)
    assert any("appeal was sent" in text for text in messages_of(response))
    reported.refresh_from_db()
    assert reported.status == Case.Status.OPEN
    assert reported.appeal_text == "It is a painting of a storm."
    version = reported.version
    html = alice.get(reverse("moderation:notices")).content.decode()
    assert appeal_url not in html and "You appealed on" in html

    response = alice.post(appeal_url, {"text": "Again"}, follow=True)
    assert "You have already appealed this decision." in messages_of(response)
    reported.refresh_from_db()
    assert reported.version == version and reported.appeal_text == "It is a painting of a storm."
    # The moderator sees the appeal on the case.
    html = logged_in(moderator).get(reverse("moderation:case", args=[reported.pk]))
    assert "It is a painting of a storm." in html.content.decode()


def test_no_one_appeals_a_case_about_someone_else(world: TeamWorld, reported: Case) -> None:
    Notice.objects.create(user=world.owner, case=reported, kind="hidden", reason="x")
    Case.objects.filter(pk=reported.pk).update(status=Case.Status.ACTIONED)
    response = logged_in(world.teammate).post(
        reverse("moderation:appeal", args=[reported.pk]), {"text": "let me"}, follow=True
    )
    assert "There is nothing to appeal here." in messages_of(response)
    reported.refresh_from_db()
    assert reported.appealed_at is None


# -- users ----------------------------------------------------------------------------------------


def test_the_user_page_shows_refused_prompts_and_suspends(
    world: TeamWorld, moderator: User
) -> None:
    GenerationFactory(
        user=world.owner,
        prompt="something the policy refused",
        status=Generation.Status.REFUSED,
        error_kind="content_policy",
    )
    client = logged_in(moderator)
    html = client.get(reverse("moderation:user", args=[world.owner.pk])).content.decode()
    assert "something the policy refused" in html and "Suspend the account" in html

    url = reverse("moderation:user-act", args=[world.owner.pk])
    assert client.post(url, {"action": "suspend", "reason": ""}).status_code == 400
    client.post(url, {"action": "suspend", "reason": "Repeated abuse"})
    assert Profile.objects.get(user=world.owner).suspended_at is not None
    html = client.get(reverse("moderation:user", args=[world.owner.pk])).content.decode()
    assert "Repeated abuse" in html and "Restore the account" in html
    # The suspended owner is logged out on their next request, and told why.
    response = logged_in(world.owner).get(reverse("gallery:index"), follow=True)
    assert "Your account is suspended: Repeated abuse" in response.content.decode()

    client.post(url, {"action": "unsuspend", "reason": "Appeal accepted"})
    assert Profile.objects.get(user=world.owner).suspended_at is None


def test_refusals_page_links_to_the_users(world: TeamWorld, moderator: User) -> None:
    GenerationFactory(user=world.teammate, status="refused", error_kind="content_policy")
    html = logged_in(moderator).get(reverse("moderation:refusals")).content.decode()
    assert reverse("moderation:user", args=[world.teammate.pk]) in html


# -- the audit log ------------------------------------------------------------------------------


def entries(count: int, action: str = "image.hide", **fields: Any) -> list[AuditEntry]:
    return [
        audit_record(actor=None, action=action, target_type="case", target_id=n + 1,
                     target_name=f"entry {n}", **fields)
        for n in range(count)
    ]  # fmt: skip


def audit_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r"case #(\d+)<", html)]


def test_the_audit_page_filters_and_pages_by_keyset(moderator: User) -> None:
    hides = entries(60)
    entries(5, action="user.strike")
    client = logged_in(moderator)
    first = client.get(reverse("moderation:audit"), {"action": "image.hide"}).content.decode()
    assert '<option value="user.strike">' in first
    assert audit_ids(first) == [entry.target_id for entry in reversed(hides)][:50]
    following = re.search(r'href="\?([^"]*after=[^"]*)" rel="next"', first)
    assert following is not None
    second = client.get(f"{reverse('moderation:audit')}?{following[1].replace('&amp;', '&')}")
    assert audit_ids(second.content.decode()) == [entry.target_id for entry in reversed(hides)][50:]
    assert 'rel="next"' not in second.content.decode()

    strikes = client.get(reverse("moderation:audit"), {"action": "user.strike", "target_id": 3})
    assert audit_ids(strikes.content.decode()) == [3]
    bad = client.get(reverse("moderation:audit"), {"after": "garbage"}, follow=True)
    assert bad.status_code == 200 and len(audit_ids(bad.content.decode())) == 50


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@cmd", "'@cmd"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""),
        (None, ""), (42, "42"),
    ],
)  # fmt: skip
def test_csv_safe_neutralises_what_a_spreadsheet_would_run(value: Any, expected: str) -> None:
    assert csv_safe(value) == expected


def test_the_audit_csv_exports_the_filtered_rows_neutralised(moderator: User) -> None:
    audit_record(actor=None, action="image.hide", target_type="case", target_id=1,
                 target_name="+evil", reason='=HYPERLINK("http://x")')  # fmt: skip
    audit_record(actor=None, action="user.strike", target_type="user", target_id=2, reason="ok")
    response = logged_in(moderator).get(reverse("moderation:audit-csv"), {"action": "image.hide"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["reason"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["target_name"] == "'+evil" and rows[0]["action"] == "image.hide"


@pytest.mark.parametrize("name", ["moderation:my-reports", "moderation:notices"])
def test_the_reporters_and_owners_lists_take_a_fixed_number_of_queries(
    world: TeamWorld, moderator: User, name: str, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        image = share(
            GeneratedImageFactory(generation=GenerationFactory(user=world.owner, prompt=f"p{n}")),
            world.crew,
        )
        services.report_submit(reporter=world.teammate, image=image, reason="spam")
        case = Case.objects.get(image=image)
        services.case_hide_image(moderator=moderator, case_id=case.pk, version=case.version,
                                 reason=f"reason {n}")  # fmt: skip
    client = logged_in(world.teammate if name == "moderation:my-reports" else world.owner)
    client.get(reverse(name))
    with django_assert_max_num_queries(6):
        html = client.get(reverse(name)).content.decode()
    assert html.count("reason 4" if name == "moderation:notices" else "p4") == 1


def test_the_audit_page_takes_a_fixed_number_of_queries(
    moderator: User, django_assert_max_num_queries: Any
) -> None:
    entries(60)
    client = logged_in(moderator)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("moderation:audit")).content.decode()
    assert len(audit_ids(html)) == 50
