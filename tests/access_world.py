"""The world the access matrix runs against: one team's people and their objects in every state,
a member of another team, a moderator, a superuser, a staff member without permissions and a
suspended member, each with an API token of their own (the owner also with a revoked and an
expired one). Every object carries a marker word of its own, so a refused answer can be
searched for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Membership, Team
from api.models import ApiToken
from api.services import token_create
from api.tokens import new_token
from audit.models import AuditEntry
from gallery import services as gallery_services
from gallery.models import Export, GeneratedImage, Generation, MissingImage, SavedSearch
from moderation import services as moderation_services
from moderation.models import Case, Notice, Report, Strike
from tests.factories import (
    GeneratedImageFactory,
    GenerationFactory,
    MembershipFactory,
    SavedSearchFactory,
    TeamFactory,
    UserFactory,
)
from tests.team_world import share
from tests.test_moderation_views import moderators_group

OWNER = "owner"
TEAMMATE = "teammate"
OUTSIDER = "outsider"
TEAM_ADMIN = "team_admin"
MODERATOR = "moderator"
SUPERUSER = "superuser"
STAFF = "staff"
SUSPENDED = "suspended"
ANONYMOUS = "anonymous"
ROLES = (OWNER, TEAMMATE, OUTSIDER, TEAM_ADMIN, MODERATOR, SUPERUSER, STAFF, SUSPENDED, ANONYMOUS)

# Who calls the JSON API: each role with an API token of their own, and those whose request
# carries no valid token (none, one that was never made, the owner's revoked and expired
# tokens, the owner's session cookie alone).
NO_TOKEN = "no token"
BAD_TOKEN = "bad token"
REVOKED_TOKEN = "revoked token"
EXPIRED_TOKEN = "expired token"
SESSION_ONLY = "session only"
TOKEN_ROLES = (OWNER, TEAMMATE, OUTSIDER, TEAM_ADMIN, MODERATOR, SUPERUSER, STAFF, SUSPENDED)
NOT_AUTHENTICATED = (NO_TOKEN, BAD_TOKEN, REVOKED_TOKEN, EXPIRED_TOKEN, SESSION_ONLY)
CALLERS = (*TOKEN_ROLES, *NOT_AUTHENTICATED)

USERNAMES = {
    OWNER: "ollie.owner",
    TEAMMATE: "tessa.teammate",
    OUTSIDER: "rowan.rival",
    TEAM_ADMIN: "ada.admin",
    MODERATOR: "moe.moderator",
    SUPERUSER: "root.super",
    STAFF: "stan.staff",
    SUSPENDED: "sid.suspended",
}

# The states each kind of object is found in; a URL without an object has the one state "-".
NO_OBJECT = "-"
STATES: dict[str, tuple[str, ...]] = {
    # The owner's images: only theirs, in the team's library, hidden by a moderator (while
    # shared), in the trash.
    "image": ("private", "shared", "hidden", "trashed"),
    # The owner's generations: one still queued, and the one behind each image above.
    "generation": ("queued", "private", "shared", "hidden", "trashed"),
    # A zip to download, one still to build, one whose zip was deleted.
    "export": ("ready", "queued", "expired"),
    "saved_search": ("saved",),
    "team": ("crew",),
    # A member's membership of the team, and one of another team asked for through the team.
    "membership": ("member", "elsewhere"),
    # The shared image's case (open), the hidden image's case (closed by hiding it).
    "case": ("open", "closed"),
    # Users as moderators look them up.
    "person": ("active", "suspended"),
    # Django admin: an app's index, a content type's "view on site", a page that is not there.
    "app": ("audit", "accounts", "auth", "gallery", "moderation", "axes"),
    "content_type": ("team",),
    "admin_path": ("missing",),
    # The owner's API tokens.
    "token": ("active", "revoked", "expired"),
    # A team named in a request to the JSON API by its slug (a submission's team, a library):
    # the owner's team, and the team of the member of another team.
    "named_team": ("crew", "rivals"),
    "library": ("crew", "rivals"),
    # A path under the JSON API that it does not have.
    "api_path": ("missing",),
}
ADMIN_OBJECT = "existing"


def marker(kind: str, state: str) -> str:
    """A word found nowhere but in this object's text."""
    return f"zq{kind}{state}zq".replace("_", "").replace(".", "")


@dataclass
class AccessWorld:
    users: dict[str, User]
    crew: Team
    rivals: Team
    images: dict[str, GeneratedImage]
    generations: dict[str, Generation]
    exports: dict[str, Export]
    saved_search: SavedSearch
    memberships: dict[str, Membership]
    cases: dict[str, Case]
    api_tokens: dict[str, ApiToken]
    # Each role's API token, and the owner's revoked and expired ones, and one never made.
    secrets: dict[str, str]
    # Django admin's objects by "app.model": one existing row each, and its marker (if any).
    admin_objects: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    def params(self, kind: str, state: str) -> dict[str, object]:
        """The URL parameters naming the object of this kind in this state."""
        if kind == "team":
            return {"slug": self.crew.slug}
        if kind == "membership":
            return {"slug": self.crew.slug, "pk": self.memberships[state].pk}
        if kind == "app":
            return {"app_label": state}
        if kind == "content_type":
            team_type = ContentType.objects.get_for_model(Team)
            return {"content_type_id": team_type.pk, "object_id": self.crew.pk}
        if kind == "admin_path":
            return {"url": "no-such-page/"}
        if kind == "api_path":
            return {"rest": "no-such-thing"}
        if kind in ("named_team", "library"):
            return {"team": self.team(state).slug}
        return {"pk": self.pk(kind, state)}

    def team(self, state: str) -> Team:
        return self.crew if state == "crew" else self.rivals

    def pk(self, kind: str, state: str) -> int:
        if kind.startswith("admin:"):
            return self.admin_objects[kind.removeprefix("admin:")][0]
        objects: dict[str, dict[str, object]] = {
            "image": self.images,  # type: ignore[dict-item]
            "generation": self.generations,  # type: ignore[dict-item]
            "export": self.exports,  # type: ignore[dict-item]
            "saved_search": {"saved": self.saved_search},
            "membership": self.memberships,  # type: ignore[dict-item]
            "case": self.cases,  # type: ignore[dict-item]
            "token": self.api_tokens,  # type: ignore[dict-item]
            "person": {"active": self.users[OWNER], "suspended": self.users[SUSPENDED]},
        }
        return objects[kind][state].pk  # type: ignore[attr-defined,no-any-return]

    def marker(self, kind: str | None, state: str) -> str | None:
        """The text that shows this object; None for objects without text of their own."""
        if kind is None or kind in ("app", "content_type", "admin_path", "export", "api_path"):
            return None
        if kind.startswith("admin:"):
            return self.admin_objects[kind.removeprefix("admin:")][1]
        if kind == "generation":
            return marker("generation", state)
        if kind == "case":
            # A case shows the prompt of its image as it was when the case opened.
            return marker("generation", {"open": "shared", "closed": "hidden"}[state])
        if kind == "person":
            return self.users[OWNER if state == "active" else SUSPENDED].username
        if kind == "membership":
            return self.memberships[state].user.username
        if kind == "image":
            return marker("generation", state)
        if kind == "named_team":
            return marker("team", state)
        if kind == "library":
            # What the library shows: the image shared with that team.
            return marker("generation", "shared" if state == "crew" else "rivals")
        return marker(kind, state)


def _member(team: Team, role_name: str, role: str = Membership.Role.MEMBER) -> User:
    membership = MembershipFactory(team=team, user__username=USERNAMES[role_name], role=role)
    return membership.user  # type: ignore[no-any-return]


def build_access_world() -> AccessWorld:
    crew = TeamFactory(name=f"Crew {marker('team', 'crew')}", slug="crew")
    rivals = TeamFactory(name=f"Rivals {marker('team', 'rivals')}", slug="rivals")
    users = {
        OWNER: _member(crew, OWNER),
        TEAMMATE: _member(crew, TEAMMATE),
        TEAM_ADMIN: _member(crew, TEAM_ADMIN, Membership.Role.ADMIN),
        # An admin of their own team: being a team admin elsewhere gives nothing here.
        OUTSIDER: _member(rivals, OUTSIDER, Membership.Role.ADMIN),
        SUSPENDED: _member(crew, SUSPENDED),
        MODERATOR: UserFactory(username=USERNAMES[MODERATOR]),
        SUPERUSER: UserFactory(username=USERNAMES[SUPERUSER], is_staff=True, is_superuser=True),
        STAFF: UserFactory(username=USERNAMES[STAFF], is_staff=True),
    }
    users[MODERATOR].groups.add(moderators_group())
    owner = users[OWNER]

    def image(state: str) -> GeneratedImage:
        generation = GenerationFactory(
            user=owner, team=crew, prompt=f"a lighthouse {marker('generation', state)}"
        )
        return GeneratedImageFactory(generation=generation)  # type: ignore[no-any-return]

    images = {state: image(state) for state in ("private", "shared", "hidden", "trashed")}
    share(images["shared"], crew)
    share(images["hidden"], crew)
    gallery_services.images_trash(user=owner, image_ids=[images["trashed"].pk])
    queued = GenerationFactory(
        user=owner, team=crew, status=Generation.Status.QUEUED,
        prompt=f"a harbour {marker('generation', 'queued')}",
    )  # fmt: skip
    generations = {"queued": queued, **{state: img.generation for state, img in images.items()}}

    # The teammate reports both shared images; a moderator hides one of them.
    for state in ("shared", "hidden"):
        moderation_services.report_submit(
            reporter=users[TEAMMATE], image=images[state], reason="violence",
            note=f"a fight {marker('note', state)}",
        )  # fmt: skip
    cases = {
        "open": Case.objects.get(image=images["shared"]),
        "closed": Case.objects.get(image=images["hidden"]),
    }
    moderation_services.case_hide_image(
        moderator=users[MODERATOR], case_id=cases["closed"].pk,
        version=cases["closed"].version, reason=f"violent {marker('notice', 'hidden')}",
    )  # fmt: skip
    moderation_services.user_suspend(
        moderator=users[MODERATOR], user=users[SUSPENDED], reason="spam"
    )
    for name in ("open", "closed"):
        cases[name].refresh_from_db()
    for state in images:
        images[state].refresh_from_db()

    ready = gallery_services.export_start(user=owner, image_ids=[images["private"].pk])
    gallery_services.export_build(export_id=ready.pk)
    # Its zip deleted with an image it held (as "delete for good" does).
    gone = gallery_services.export_start(user=owner, image_ids=[images["hidden"].pk])
    gallery_services.export_build(export_id=gone.pk)
    gallery_services.exports_expire_holding(image_ids=[images["hidden"].pk])
    waiting = gallery_services.export_start(user=owner, image_ids=[images["shared"].pk])
    exports = {
        "ready": Export.objects.get(pk=ready.pk),
        "queued": Export.objects.get(pk=waiting.pk),
        "expired": Export.objects.get(pk=gone.pk),
    }
    saved = SavedSearchFactory(user=owner, name=f"Lighthouses {marker('saved_search', 'saved')}")
    # The teammate was added by the team admin and has not dismissed the notice saying so.
    Membership.objects.filter(user=users[TEAMMATE], team=crew).update(
        added_by=users[TEAM_ADMIN], notice_pending=True
    )
    memberships = {
        "member": Membership.objects.get(user=users[TEAMMATE], team=crew),
        "elsewhere": Membership.objects.get(user=users[OUTSIDER], team=rivals),
    }
    # The member of another team shares an image with their own team's library.
    rival_generation = GenerationFactory(
        user=users[OUTSIDER], team=rivals, prompt=f"a dock {marker('generation', 'rivals')}"
    )
    share(GeneratedImageFactory(generation=rival_generation), rivals)
    api_tokens, secrets = _api_tokens(users)
    strike = Strike.objects.create(
        user=owner, case=cases["closed"], reason=f"violence {marker('strike', 'given')}",
        moderator_id=users[MODERATOR].pk,
    )  # fmt: skip
    missing = MissingImage.objects.create(
        generation=images["private"].generation, index=1, error_kind="bad_image",
        reason=f"truncated {marker('missing', 'image')}",
    )  # fmt: skip
    world = AccessWorld(
        users=users,
        crew=crew,
        rivals=rivals,
        images=images,
        generations=generations,
        exports=exports,
        saved_search=saved,
        memberships=memberships,
        cases=cases,
        api_tokens=api_tokens,
        secrets=secrets,
    )
    world.admin_objects = {
        "audit.auditentry": (
            AuditEntry.objects.order_by("pk").values_list("pk", flat=True)[0],
            None,
        ),
        "accounts.team": (crew.pk, marker("team", "crew")),
        "accounts.membership": (memberships["member"].pk, USERNAMES[TEAMMATE]),
        "auth.user": (owner.pk, USERNAMES[OWNER]),
        "auth.group": (Group.objects.get(name="Moderators").pk, None),
        "gallery.generation": (generations["private"].pk, marker("generation", "private")),
        "gallery.generatedimage": (images["private"].pk, marker("generation", "private")),
        "gallery.missingimage": (missing.pk, marker("missing", "image")),
        "moderation.case": (cases["open"].pk, marker("generation", "shared")),
        "moderation.report": (
            Report.objects.get(image_id=images["shared"].pk).pk,
            marker("note", "shared"),
        ),
        "moderation.strike": (strike.pk, marker("strike", "given")),
        "moderation.notice": (
            Notice.objects.get(user=owner, kind=Notice.Kind.HIDDEN).pk,
            marker("notice", "hidden"),
        ),
        **_login_records(),
    }
    return world


def _api_tokens(users: dict[str, User]) -> tuple[dict[str, ApiToken], dict[str, str]]:
    """The owner's tokens in each state, and a token of each role's own."""
    owner = users[OWNER]
    secrets: dict[str, str] = {}
    tokens: dict[str, ApiToken] = {}
    for state, caller, expires_at in (
        ("active", OWNER, None),
        ("revoked", REVOKED_TOKEN, None),
        ("expired", EXPIRED_TOKEN, timezone.now() - timedelta(days=1)),
    ):
        name = f"script {marker('token', state)}"
        tokens[state], secrets[caller] = token_create(user=owner, name=name, expires_at=expires_at)
    ApiToken.objects.filter(pk=tokens["revoked"].pk).update(revoked_at=timezone.now())
    tokens["revoked"].refresh_from_db()
    for role, user in users.items():
        if role != OWNER:
            _token, secrets[role] = token_create(user=user, name="script")
    secrets[BAD_TOKEN] = new_token().token
    return tokens, secrets


def _login_records() -> dict[str, tuple[int, str | None]]:
    """A row of each of django-axes' models, as failed logins leave them."""
    fields = {"ip_address": "192.0.2.10", "user_agent": "curl", "http_accept": "*/*"}
    attempt = AccessAttempt.objects.create(
        username=marker("axes", "attempt"), path_info="/accounts/login/", get_data="",
        post_data="", failures_since_start=1, **fields,
    )  # fmt: skip
    failure = AccessFailureLog.objects.create(
        username=marker("axes", "failure"), path_info="/accounts/login/", **fields
    )
    log = AccessLog.objects.create(
        username=marker("axes", "log"), path_info="/accounts/login/", **fields
    )
    return {
        "axes.accessattempt": (attempt.pk, marker("axes", "attempt")),
        "axes.accessfailurelog": (failure.pk, marker("axes", "failure")),
        "axes.accesslog": (log.pk, marker("axes", "log")),
    }
