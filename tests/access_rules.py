"""Who may use each URL of the portal, written by hand: one rule per URL pattern name (or, for
a pattern without a name, its route). tests/test_access_matrix.py requests every pattern with
every method, as every role, against its object in every state, and checks the answer against
the rule; a pattern without a rule fails it.

Adding a page: add one line to RULES, e.g.
    "gallery:image-rotate": Rule(POST, target="image", may=MINE, ok=302, writes=MINE),
read as: POST only (any other method is a 405); the request names an image; its owner may act
on their images that are not in the trash (MINE), the answer is a redirect, and only those
requests may change rows. Everyone else gets the default refusal (`expected` in the test: the
login page for a visitor, a logout for a suspended user, 404 for anyone else; Django admin's
login for `admin=True` rules), with none of the image's text, no file bytes, no row changed.

The JSON API's rules say `token=True`: their requests carry a caller's API token
(`Authorization: Bearer`) instead of a session, e.g.
    "api-v1:image-trash": Rule(POST, token=True, target="image", may=MINE, writes=MINE),
Everyone without a valid token (none, a bad, revoked or expired one, a session cookie alone) gets
401, a suspended user's token 403 `account_suspended`, everyone else who may not act 404 (or
the `declined` status, for those who see the object but may not do this to it in its state),
every error in the API's one JSON shape. A URL whose methods do different things has a tuple of
rules, one per method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.access_world import (
    ANONYMOUS,
    CALLERS,
    MODERATOR,
    OUTSIDER,
    OWNER,
    STAFF,
    SUPERUSER,
    SUSPENDED,
    TEAM_ADMIN,
    TEAMMATE,
    AccessWorld,
)

GET = ("GET",)
POST = ("POST",)
FORM = ("GET", "POST", "PUT")  # Django's form views: PUT is handled as POST
GET_POST = ("GET", "POST")
# Django admin's own views answer every method (anything but POST reads).
ANY = ("GET", "POST", "PUT", "PATCH", "DELETE")

ALL = "*"  # every state of the rule's object
States = str | tuple[str, ...]

LOGGED_IN = (OWNER, TEAMMATE, OUTSIDER, TEAM_ADMIN, MODERATOR, SUPERUSER, STAFF)
CREW = (OWNER, TEAMMATE, TEAM_ADMIN)  # the owner's team
MODERATORS = (MODERATOR, SUPERUSER)
STAFF_ROLES = (SUPERUSER, STAFF)
NON_STAFF = (OWNER, TEAMMATE, OUTSIDER, TEAM_ADMIN, MODERATOR)
EVERYONE = (*LOGGED_IN, ANONYMOUS)

LIVE = ("private", "shared", "hidden")  # the owner's images that are not in the trash
SHOWN = ("shared",)  # what the library shows the owner's team
# get_visible_image: one's own images, and those shown in the library of one's team.
VISIBLE: dict[str, States] = {OWNER: LIVE, TEAMMATE: SHOWN, TEAM_ADMIN: SHOWN}
MINE: dict[str, States] = {OWNER: LIVE}
TRASHED: dict[str, States] = {OWNER: ("trashed",)}
# Anyone at all, with or without a token.
ANYONE = (*CALLERS, ANONYMOUS)
# A team named by its slug: its members.
MEMBERS_OF_NAMED_TEAM: dict[str, States] = {**dict.fromkeys(CREW, ("crew",)), OUTSIDER: ("rivals",)}


def each(roles: tuple[str, ...], states: States = ALL) -> dict[str, States]:
    return dict.fromkeys(roles, states)


Data = Mapping[str, Any] | Callable[[AccessWorld, str], Mapping[str, Any]]
Query = str | Callable[[AccessWorld, str], str]


@dataclass(frozen=True)
class Rule:
    # The methods the view answers; any other is a 405.
    methods: tuple[str, ...]
    # Who succeeds, and in which states of the object (ALL, or a tuple of states).
    may: Mapping[str, States]
    # The status of a success: one number, or by "role METHOD", method or role ("*": the rest).
    ok: int | Mapping[str, int] = 200
    # The kind of object the request names (in the URL or its body), see access_world.STATES.
    target: str | None = None
    # A list page: the kind of object it lists, and whose objects in which states each role
    # sees on it (a marker absent from every other role's page).
    lists: str | None = None
    shows: Mapping[str, States] = field(default_factory=dict)
    # Who may change rows with a successful request (nobody else changes any).
    writes: Mapping[str, States] = field(default_factory=dict)
    # What a logged-in role that may not act gets: a status, or a redirect's location, by role.
    refused: Mapping[str, int | str] = field(default_factory=dict)
    # Where a successful redirect goes, when it matters.
    location: str | None = None
    # The form sent with unsafe methods (JSON for the API).
    data: Data = field(default_factory=dict)
    query: Query = ""
    # The bytes of a successful answer: "png", "webp", "zip" (refused answers never carry any).
    serves: str | None = None
    # Behind Django admin's own login (staff only).
    admin: bool = False
    # Answered before the session is read (load balancers' probes): a suspended user's session
    # is not looked at, so it is not ended either.
    probe: bool = False
    # The JSON API, called with API tokens (see the module's docstring).
    token: bool = False
    # The API without a token: nobody's token is looked at (its schema, docs, unknown paths).
    public: bool = False
    # Who sees the object but may not do this to it in these states: this status and error
    # code instead of a 404, and no row changed.
    declined: Mapping[str, States] = field(default_factory=dict)
    declined_status: int = 409
    declined_code: str = ""
    # A success of the API shows the text of the object it names.
    echoes: bool = True


def generation_form(world: AccessWorld, state: str) -> dict[str, Any]:
    return {
        "prompt": "a quiet harbour",
        "model": "meetkai:z-image-turbo",
        "n": 1,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "url",
    }


def case_action(world: AccessWorld, state: str) -> dict[str, Any]:
    case = world.cases[state]
    return {"action": "dismiss", "reason": "Looked again", "version": case.version}


def user_action(world: AccessWorld, state: str) -> dict[str, Any]:
    action = "suspend" if state == "active" else "unsuspend"
    return {"action": action, "reason": "Looked again"}


def api_submission(world: AccessWorld, state: str) -> dict[str, Any]:
    return {**generation_form(world, state), "team": world.team(state).slug}


def library_of(world: AccessWorld, state: str) -> str:
    return f"?team={world.team(state).slug}"


def bulk_favorite(world: AccessWorld, state: str) -> dict[str, Any]:
    return {"action": "favorite", "ids": [world.pk("image", state)]}


# Django admin: which models it shows, and what it lets the superuser do with them. EDITABLE:
# add, change, delete. VIEW_ONLY: listed and shown, never added, changed or deleted there.
# NOT_ADDED (django-axes' records of logins): never added there; every field is read-only, so
# saving the change form changes nothing but the admin's own log; deleted (which unlocks).
EDITABLE, VIEW_ONLY, NOT_ADDED = "editable", "view only", "not added"


def admin_model(app: str, model: str, kind: str) -> dict[str, Rule]:
    """The six patterns of one registered model: the superuser works on them; staff without
    permissions get admin's 403; everyone else admin's login."""
    target = f"admin:{app}.{model}"
    name = f"admin:{app}_{model}"
    superuser = each((SUPERUSER,))
    no_permission: dict[str, int | str] = {STAFF: 403}
    # Nobody adds or deletes: refused with admin's 403 even for the superuser.
    nobody: dict[str, int | str] = {SUPERUSER: 403, STAFF: 403}
    if kind == EDITABLE:
        add = Rule(ANY, may=superuser, refused=no_permission, admin=True)
        change = Rule(ANY, target=target, may=superuser, refused=no_permission, admin=True)
        delete = Rule(ANY, target=target, may=superuser, refused=no_permission, admin=True)
    elif kind == VIEW_ONLY:
        # The change form is shown, but a POST (a change) is refused.
        add = Rule(ANY, may={}, refused=nobody, admin=True)
        change = Rule(
            ANY, target=target, may=superuser, ok={"POST": 403}, refused=no_permission, admin=True
        )
        delete = Rule(ANY, target=target, may={}, refused=nobody, admin=True)
    else:
        add = Rule(ANY, may={}, refused=nobody, admin=True)
        change = Rule(
            ANY,
            target=target,
            may=superuser,
            ok={"POST": 302},
            writes=superuser,
            refused=no_permission,
            admin=True,
        )  # fmt: skip
        # A POST without the confirmation shows the confirmation page again.
        delete = Rule(ANY, target=target, may=superuser, refused=no_permission, admin=True)
    return {
        f"{name}_changelist": Rule(ANY, may=superuser, refused=no_permission, admin=True),
        f"{name}_add": add,
        f"{name}_change": change,
        f"{name}_delete": delete,
        f"{name}_history": Rule(
            ANY, target=target, may=superuser, refused=no_permission, admin=True
        ),
        # The bare object URL redirects to the change form, for any staff member.
        f"admin/{app}/{model}/<path:object_id>/": Rule(
            ANY, target=target, may=each(STAFF_ROLES), ok=302, admin=True
        ),
    }


RULES: dict[str, Rule | tuple[Rule, ...]] = {
    # -- logging in and out: everyone --------------------------------------------------------
    "login": Rule(FORM, may=each((*LOGGED_IN, ANONYMOUS))),
    "logout": Rule(POST, may=each((*LOGGED_IN, ANONYMOUS)), ok=302, location="/accounts/login/"),
    # -- the gallery: one's own --------------------------------------------------------------
    "gallery:index": Rule(GET, may=each(LOGGED_IN), lists="image", shows={OWNER: LIVE}),
    "gallery:trash": Rule(GET, may=each(LOGGED_IN), lists="image", shows={OWNER: ("trashed",)}),
    "gallery:trash-empty": Rule(POST, may=each(LOGGED_IN), ok=302, writes={OWNER: ALL}),
    "gallery:saved-search-create": Rule(
        POST,
        may=each(LOGGED_IN),
        ok=302,
        writes=each(LOGGED_IN),
        data={"name": "Harbours", "query_string": "q=harbour"},
    ),  # fmt: skip
    "gallery:saved-search-delete": Rule(
        POST, target="saved_search", may={OWNER: ALL}, ok=302, writes={OWNER: ALL}
    ),
    "gallery:generate": Rule(
        POST, may=each(LOGGED_IN), ok=302, writes=each(LOGGED_IN), data=generation_form
    ),
    "gallery:generation": Rule(GET, target="generation", may={OWNER: ALL}),
    "gallery:generation-card": Rule(GET, target="generation", may={OWNER: ALL}),
    "gallery:generation-cancel": Rule(
        POST, target="generation", may={OWNER: ALL}, ok=302, writes={OWNER: ("queued",)}
    ),
    "gallery:generation-rerun": Rule(
        POST, target="generation", may={OWNER: ALL}, ok=302, writes={OWNER: ALL}
    ),
    "gallery:generation-remix": Rule(GET, target="generation", may={OWNER: ALL}),
    # A selection holds ids: anyone may send one; only the owner's live images change.
    "gallery:bulk": Rule(
        POST, target="image", may=each(LOGGED_IN), ok=302, writes={OWNER: LIVE}, data=bulk_favorite
    ),
    "gallery:image": Rule(GET, target="image", may={OWNER: LIVE}),
    "gallery:image-file": Rule(GET, target="image", may=VISIBLE, serves="png"),
    "gallery:image-thumbnail": Rule(GET, target="image", may=VISIBLE, serves="webp"),
    "gallery:image-delete": Rule(
        POST, target="image", may={OWNER: LIVE}, ok=302, writes={OWNER: LIVE}
    ),
    "gallery:image-favorite": Rule(
        POST, target="image", may=VISIBLE, ok=302, writes=VISIBLE, data={"favorite": "1"}
    ),
    # A hidden image cannot be shared: the owner is told so, and nothing changes.
    "gallery:image-share": Rule(
        POST,
        target="image",
        may={OWNER: LIVE},
        ok=302,
        writes={OWNER: ("private", "shared")},
        data={"team": "crew"},
    ),  # fmt: skip
    "gallery:image-unshare": Rule(
        POST, target="image", may={OWNER: LIVE}, ok=302, writes={OWNER: LIVE}
    ),
    # -- the team's library ----------------------------------------------------------------------
    "gallery:library": Rule(GET, may=each(LOGGED_IN), lists="image", shows=each(CREW, SHOWN)),
    "gallery:library-image": Rule(GET, target="image", may=VISIBLE),
    "gallery:library-remix": Rule(GET, target="image", may=VISIBLE),
    "gallery:library-remove": Rule(
        POST,
        target="image",
        may={TEAM_ADMIN: ("shared", "hidden")},
        ok=302,
        writes={TEAM_ADMIN: ("shared", "hidden")},
        data={"reason": "Off topic"},
    ),  # fmt: skip
    # -- exports and usage -----------------------------------------------------------------------
    "gallery:export-search": Rule(
        POST,
        may=each(LOGGED_IN),
        ok=302,
        writes=each(LOGGED_IN),
        data={"query_string": "q=lighthouse"},
    ),  # fmt: skip
    "gallery:export": Rule(GET, target="export", may={OWNER: ALL}),
    "gallery:export-download": Rule(GET, target="export", may={OWNER: ("ready",)}, serves="zip"),
    "gallery:usage": Rule(GET, may=each(LOGGED_IN)),
    "gallery:team-usage": Rule(GET, target="team", may={TEAM_ADMIN: ALL}),
    # -- teams -----------------------------------------------------------------------------------
    "accounts:team-switch": Rule(
        POST, target="team", may=each(CREW), ok=302, data={"team": "crew", "next": "/library/"}
    ),
    # Only one's own notice that someone added one to the team (the teammate has one).
    "accounts:notice-dismiss": Rule(
        POST, target="team", may=each(CREW), ok=302, writes={TEAMMATE: ALL}
    ),
    "accounts:team": Rule(GET, target="team", may=each(CREW)),
    "accounts:member-add": Rule(
        POST,
        target="team",
        may={TEAM_ADMIN: ALL},
        ok=302,
        writes={TEAM_ADMIN: ALL},
        data={"username_or_email": "rowan.rival", "role": "member"},
    ),  # fmt: skip
    "accounts:member-role": Rule(
        POST,
        target="membership",
        may={TEAM_ADMIN: ("member",)},
        ok=302,
        writes={TEAM_ADMIN: ("member",)},
        data={"role": "admin"},
    ),  # fmt: skip
    "accounts:member-remove": Rule(
        POST,
        target="membership",
        may={TEAM_ADMIN: ("member",)},
        ok=302,
        writes={TEAM_ADMIN: ("member",)},
    ),  # fmt: skip
    # -- moderation: moderators (and superusers, who have every permission) ----------------------
    "moderation:queue": Rule(
        GET, may=each(MODERATORS), lists="case", shows=each(MODERATORS, ("open",))
    ),
    "moderation:case": Rule(GET, target="case", may=each(MODERATORS)),
    "moderation:case-act": Rule(
        POST,
        target="case",
        may=each(MODERATORS),
        ok=302,
        writes=each(MODERATORS, ("open",)),
        data=case_action,
    ),  # fmt: skip
    "moderation:case-thumbnail": Rule(GET, target="case", may=each(MODERATORS), serves="webp"),
    # Moderators see what is shared or reported, never an unreported private image.
    "moderation:image-file": Rule(
        GET, target="image", may=each(MODERATORS, ("shared", "hidden")), serves="png"
    ),
    "moderation:image-thumbnail": Rule(
        GET, target="image", may=each(MODERATORS, ("shared", "hidden")), serves="webp"
    ),
    "moderation:user": Rule(GET, target="person", may=each(MODERATORS)),
    "moderation:user-act": Rule(
        POST,
        target="person",
        may=each(MODERATORS),
        ok=302,
        writes=each(MODERATORS),
        data=user_action,
    ),  # fmt: skip
    "moderation:refusals": Rule(GET, may=each(MODERATORS)),
    "moderation:audit": Rule(GET, may=each(MODERATORS)),
    "moderation:audit-csv": Rule(GET, may=each(MODERATORS)),
    # -- moderation: every user ----------------------------------------------------------------
    # Only an image someone else shared with one's team can be reported.
    "moderation:report": Rule(
        POST,
        target="image",
        may=each((TEAMMATE, TEAM_ADMIN), SHOWN),
        ok=302,
        writes=each((TEAMMATE, TEAM_ADMIN), SHOWN),
        data={"reason": "spam", "note": "Again"},
    ),  # fmt: skip
    "moderation:my-reports": Rule(GET, may=each(LOGGED_IN)),
    "moderation:notices": Rule(GET, may=each(LOGGED_IN)),
    # One answer for every case ("nothing to appeal here" unless it is one's own closed case),
    # so an appeal tells nobody which cases exist.
    "moderation:appeal": Rule(
        POST,
        target="case",
        may=each(LOGGED_IN),
        ok=302,
        location="/notices/",
        writes={OWNER: ("closed",)},
        data={"text": "Please look again"},
    ),  # fmt: skip
    # -- API tokens: one's own -----------------------------------------------------------------
    "api:tokens": Rule(
        GET_POST,
        may=each(LOGGED_IN),
        lists="token",
        shows={OWNER: ALL},
        writes=each(LOGGED_IN),
        data={"name": "Nightly backup"},
    ),  # fmt: skip
    # Revoking a token revoked already changes nothing.
    "api:token-revoke": Rule(
        POST, target="token", may={OWNER: ALL}, ok=302, writes={OWNER: ("active", "expired")}
    ),
    # -- operators ---------------------------------------------------------------------------
    "ops:healthz": Rule(GET, may=each((*EVERYONE, SUSPENDED)), probe=True),
    "ops:readyz": Rule(GET, may=each((*EVERYONE, SUSPENDED)), probe=True),
    # No such page unless METRICS_TOKEN is set, whoever asks (with one: test_metrics_*).
    "ops:metrics": Rule(GET, may={}, refused=dict.fromkeys(EVERYONE, 404)),
    "ops:status": Rule(GET, may=each(STAFF_ROLES)),
    # -- the JSON API, with API tokens ---------------------------------------------------------
    # Paths the API does not have: 404 whatever the method, with or without a token.
    "api-v1:api-root": Rule(ANY, token=True, public=True, may={}),
    "api/v1/^(?P<rest>.*)$": Rule(ANY, token=True, public=True, target="api_path", may={}),
    # The schema and its docs are public.
    "api-v1:openapi-json": Rule(GET, token=True, public=True, may=each(ANYONE)),
    "api-v1:openapi-view": Rule(GET, token=True, public=True, may=each(ANYONE)),
    "api-v1:me": Rule(
        GET, token=True, may=each(LOGGED_IN), lists="named_team", shows=MEMBERS_OF_NAMED_TEAM
    ),
    "api-v1:generations": (
        Rule(GET, token=True, may=each(LOGGED_IN), lists="generation", shows={OWNER: ALL}),
        # A submission names the team it is charged to: one of one's own teams, or a 422.
        Rule(
            POST,
            token=True,
            target="named_team",
            may=MEMBERS_OF_NAMED_TEAM,
            ok=201,
            writes=MEMBERS_OF_NAMED_TEAM,
            declined=each(LOGGED_IN),
            declined_status=422,
            declined_code="unknown_team",
            data=api_submission,
            echoes=False,
        ),
    ),  # fmt: skip
    "api-v1:generation": Rule(GET, token=True, target="generation", may={OWNER: ALL}),
    # Only a queued generation can be canceled; the owner is told so about the others.
    "api-v1:generation-cancel": Rule(
        POST,
        token=True,
        target="generation",
        may={OWNER: ("queued",)},
        writes={OWNER: ("queued",)},
        declined={OWNER: ALL},
        declined_code="not_cancelable",
    ),  # fmt: skip
    "api-v1:generation-rerun": Rule(
        POST, token=True, target="generation", may={OWNER: ALL}, ok=201, writes={OWNER: ALL}
    ),
    "api-v1:images": Rule(GET, token=True, may=each(LOGGED_IN), lists="image", shows=MINE),
    "api-v1:library": Rule(
        GET, token=True, target="library", may=MEMBERS_OF_NAMED_TEAM, query=library_of
    ),
    # One's own images, in the trash or not; those shown in the library of one's team.
    "api-v1:image": Rule(
        GET, token=True, target="image", may={OWNER: ALL, TEAMMATE: SHOWN, TEAM_ADMIN: SHOWN}
    ),
    "api-v1:image-download": Rule(GET, token=True, target="image", may=VISIBLE, serves="png"),
    "api-v1:image-trash": Rule(POST, token=True, target="image", may=MINE, writes=MINE),
    "api-v1:image-restore": Rule(POST, token=True, target="image", may=TRASHED, writes=TRASHED),
    "api-v1:image-star": Rule(
        POST, token=True, target="image", may=VISIBLE, writes=VISIBLE, data={"starred": True}
    ),
    # A hidden image cannot be shared: the owner is told so, and nothing changes.
    "api-v1:image-share": Rule(
        POST,
        token=True,
        target="image",
        may={OWNER: ("private", "shared")},
        writes={OWNER: ("private", "shared")},
        declined={OWNER: ("hidden",)},
        declined_code="image_hidden",
        data={"team": "crew"},
    ),  # fmt: skip
    "api-v1:image-unshare": Rule(POST, token=True, target="image", may=MINE, writes=MINE),
    # -- Django admin ----------------------------------------------------------------------------
    "admin:index": Rule(ANY, may=each(STAFF_ROLES), admin=True),
    # Staff who open the login page are sent on to the admin's index.
    "admin:login": Rule(
        FORM,
        may=each((*LOGGED_IN, ANONYMOUS)),
        ok={"superuser GET": 302, "staff GET": 302},
        admin=True,
    ),  # fmt: skip
    # LOGOUT_REDIRECT_URL applies; a visitor who is not staff is sent to the admin's index.
    "admin:logout": Rule(
        POST,
        may=each(STAFF_ROLES),
        ok=302,
        location="/accounts/login/",
        refused=dict.fromkeys((*NON_STAFF, ANONYMOUS), "/admin/"),
        admin=True,
    ),  # fmt: skip
    "admin:password_change": Rule(FORM, may=each(STAFF_ROLES), admin=True),
    "admin:password_change_done": Rule(GET, may=each(STAFF_ROLES), admin=True),
    "admin:autocomplete": Rule(
        GET,
        may=each((SUPERUSER,)),
        refused={STAFF: 403},
        admin=True,
        query="?app_label=accounts&model_name=membership&field_name=user&term=ollie",
    ),  # fmt: skip
    "admin:jsi18n": Rule(GET, may=each(STAFF_ROLES), admin=True),
    # No model has a page on the site, so there is nothing to view: 404 even for staff.
    "admin:view_on_site": Rule(ANY, target="content_type", may={}, admin=True),
    # Staff without permissions see no app at all.
    "admin:app_list": Rule(ANY, target="app", may=each((SUPERUSER,)), admin=True),
    "admin/(?P<url>.*)$": Rule(ANY, target="admin_path", may={}, admin=True),
    "admin:auth_user_password_change": Rule(
        ANY, target="admin:auth.user", may=each((SUPERUSER,)), refused={STAFF: 403}, admin=True
    ),
    **admin_model("audit", "auditentry", VIEW_ONLY),
    **admin_model("accounts", "team", EDITABLE),
    **admin_model("accounts", "membership", EDITABLE),
    **admin_model("auth", "user", EDITABLE),
    **admin_model("auth", "group", EDITABLE),
    **admin_model("gallery", "generation", VIEW_ONLY),
    **admin_model("gallery", "generatedimage", VIEW_ONLY),
    **admin_model("gallery", "missingimage", EDITABLE),
    **admin_model("moderation", "case", VIEW_ONLY),
    **admin_model("moderation", "report", VIEW_ONLY),
    **admin_model("moderation", "strike", VIEW_ONLY),
    **admin_model("moderation", "notice", VIEW_ONLY),
    **admin_model("axes", "accessattempt", NOT_ADDED),
    **admin_model("axes", "accessfailurelog", NOT_ADDED),
    **admin_model("axes", "accesslog", NOT_ADDED),
}

# Requests under these prefixes are exempt from the CSRF check: the token API authenticates
# with a bearer token and accepts no session cookie, so a forged request carries nothing.
CSRF_EXEMPT_PREFIXES = ("/api/",)
