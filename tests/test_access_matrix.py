"""Every URL pattern of the portal (Django admin's included, found through the resolver) is
requested with every method, as every role, against its object in every state, and each answer
is checked against the rule written by hand in tests/access_rules.py:

- a success has the rule's status (and, for a list page, shows exactly the objects the rule
  says), and changes rows only where the rule says it may;
- anything else is refused: the login page for a visitor (Django admin's own for its pages), a
  logout for a suspended user, 404 for someone else's object (admin's 403 for staff without
  permissions), with none of the object's text in the answer, no file bytes, no row changed;
- a method the rule does not list is a 405;
- with CSRF checks on, every unsafe request without a token is a 403 and changes nothing;
- the JSON API is called with each role's API token and without a valid one (none, a bad,
  revoked or expired token, a session cookie alone: 401), a suspended user's token gets 403,
  someone else's object 404; every error in the API's one JSON shape, with its code.

The world is built once for the module; each request runs in a transaction rolled back after
it, so what one allowed request changes is gone before the next.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.access_rules import ALL, CSRF_EXEMPT_PREFIXES, RULES, Rule
from tests.access_world import (
    ADMIN_OBJECT,
    ANONYMOUS,
    BAD_TOKEN,
    CALLERS,
    EXPIRED_TOKEN,
    NO_OBJECT,
    NO_TOKEN,
    NOT_AUTHENTICATED,
    OWNER,
    REVOKED_TOKEN,
    ROLES,
    SESSION_ONLY,
    STAFF,
    STATES,
    SUPERUSER,
    SUSPENDED,
    AccessWorld,
    build_access_world,
)

pytestmark = [pytest.mark.security, pytest.mark.django_db]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
SUSPENDED_LOCATION = "/accounts/login/?suspended=1"
MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
    "zip": (b"PK\x03\x04",),
}
FILE_MAGIC = tuple(magic for magics in MAGIC.values() for magic in magics)
CSRF_SECRET = "abcdefghijklmnopqrstuvwxyz012345"  # 32 characters: an unmasked CSRF secret
METRICS_TOKEN = "metrics-token-of-the-access-matrix"
# The API's error code for a request without a valid token, by caller.
UNAUTHENTICATED_CODES = {
    NO_TOKEN: "invalid_token",
    BAD_TOKEN: "invalid_token",
    REVOKED_TOKEN: "token_revoked",
    EXPIRED_TOKEN: "token_expired",
    SESSION_ONLY: "invalid_token",
}
# Columns written by any request, allowed or not: a token's last use is recorded whatever the
# answer (at most once a minute).
UNWATCHED_COLUMNS = {"api_apitoken": "last_used_at"}

COUNTS: Counter[str] = Counter()


# -- the URL patterns, from the resolver ------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # the full name ("gallery:image"), or the route for a pattern without a name
    route: str  # with its converters, e.g. "images/<int:pk>/"


def url_patterns(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Pattern]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = route
            yield Pattern(key, route)


PATTERNS = {pattern.key: pattern for pattern in url_patterns()}


def rules_of(key: str) -> tuple[Rule, ...]:
    """The rule of a URL pattern, or its rules (one per method) when its methods differ."""
    rule = RULES.get(key, ())
    return rule if isinstance(rule, tuple) else (rule,)


def methods_of(key: str) -> tuple[str, ...]:
    return tuple(method for rule in rules_of(key) for method in rule.methods)


CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def fill(route: str, params: dict[str, object]) -> str:
    """The path of a route with its parameters filled in (path converters or regex groups)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in params:
            return str(params[name])
        if len(params) == 1:
            return str(next(iter(params.values())))
        raise KeyError(f"no value for <{name}> in {route}")

    path = CONVERTER.sub(value, GROUP.sub(value, route))
    return "/" + path.replace("^", "").replace("$", "")


# -- the world and the roles' sessions ------------------------------------------------------


@dataclass
class Setup:
    world: AccessWorld
    sessions: dict[str, str]
    # The digest of every table as the world was built.
    baseline: dict[str, str]


@pytest.fixture(scope="module")
def setup(
    django_db_setup: None,
    django_db_blocker: Any,
    media_root: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Setup]:
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media_root, "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        # /metrics is not there unless a token is configured (test_metrics_* configures one).
        override_settings(STORAGES=storages, PASSWORD_HASHERS=hashers, METRICS_TOKEN=""),
        transaction.atomic(),
    ):
        world = build_access_world()
        sessions = {}
        for role, user in world.users.items():
            client = Client()
            # Named, so that a throttling backend listed first does not end up in the session.
            client.force_login(user, backend="accounts.backends.ProfileBackend")
            sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield Setup(world, sessions, digest(_tables()))
        # Nothing of the module's world outlives it.
        transaction.set_rollback(True)
    summary = (
        f"access matrix: {COUNTS['patterns']} URL patterns, {COUNTS['cases']} URL x role x "
        f"state x method cases ({COUNTS['token cases']} of them with API tokens), "
        f"{COUNTS['probes']} method probes, {COUNTS['csrf']} CSRF checks"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(summary)


CLIENTS: dict[bool, Client] = {}


def client_for(setup: Setup, role: str, *, csrf: bool = False) -> Client:
    """A client with only the role's session: the cookies of a previous request are dropped.
    Two clients serve every request (making one loads every middleware again)."""
    client = CLIENTS.setdefault(csrf, Client(enforce_csrf_checks=csrf))
    client.cookies = SimpleCookie()
    if role != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = setup.sessions[role]
    return client


# -- what the database holds ----------------------------------------------------------------


def _tables() -> list[str]:
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model is not Session and model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def _row_text(table: str) -> str:
    column = UNWATCHED_COLUMNS.get(table)
    return f"(to_jsonb(t) - '{column}')::text" if column else "t::text"


def digest(tables: list[str]) -> dict[str, str]:
    """A digest of each table's rows (but their unwatched columns), in one query."""
    selects = [
        f"SELECT '{table}', md5(coalesce(string_agg({_row_text(table)}, '|' "  # noqa: S608
        f"ORDER BY {_row_text(table)}), '')) FROM \"{table}\" t"
        for table in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects))
        return dict(cursor.fetchall())


def writes_so_far() -> dict[str, int]:
    """Rows inserted, updated or deleted by this transaction so far, per table (PostgreSQL's own
    counters: cheap, and they count writes undone by a savepoint too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_all_tables "
            "WHERE relname = ANY(%s)",
            [_tables()],
        )
        return dict(cursor.fetchall())


@dataclass
class Rows:
    """Which tables' rows a request changed: the tables it wrote to, their digests compared
    with those of the world as built (each request starts from it: the one before was rolled
    back)."""

    baseline: dict[str, str]
    before: dict[str, int] | None = None

    def start(self) -> None:
        self.before = writes_so_far()

    def changed(self) -> list[str]:
        assert self.before is not None
        after = writes_so_far()
        written = sorted(table for table, count in after.items() if count != self.before.get(table))
        if not written:
            return []
        now = digest(written)
        return [table for table in written if now[table] != self.baseline[table]]


# -- what a rule expects --------------------------------------------------------------------


def states_of(rule: Rule) -> tuple[str, ...]:
    kind = rule.lists or rule.target
    if kind is None:
        return (NO_OBJECT,)
    if kind.startswith("admin:"):
        return (ADMIN_OBJECT,)
    return STATES[kind]


def granted(grants: Any, role: str, state: str) -> bool:
    states = grants.get(role)
    return states is not None and (states == ALL or state in states)


def ok_status(rule: Rule, role: str, method: str) -> int:
    if isinstance(rule.ok, int):
        return rule.ok
    for key in (f"{role} {method}", method, role, "*"):
        if key in rule.ok:
            return rule.ok[key]
    return 200


@dataclass(frozen=True)
class Expected:
    status: int
    location: str | None  # where a redirect goes (its start)
    success: bool


def expected(rule: Rule, role: str, state: str, method: str, path: str) -> Expected:
    """What a role's session gets (for the JSON API: a session is no credential)."""
    if role == SUSPENDED and not rule.probe:
        return Expected(302, SUSPENDED_LOCATION, False)
    if rule.token and not rule.public:
        return Expected(401, None, False)
    if granted(rule.may, role, state):
        status = ok_status(rule, role, method)
        return Expected(status, rule.location, status < 400)
    if role in rule.refused:
        refusal = rule.refused[role]
        if isinstance(refusal, str):
            return Expected(302, refusal, False)
        return Expected(refusal, None, False)
    if rule.token:
        return Expected(404, None, False)
    if role == ANONYMOUS or (rule.admin and role not in (SUPERUSER, STAFF)):
        login = reverse("admin:login") if rule.admin else settings.LOGIN_URL
        return Expected(302, redirect_to_login(path, login)["Location"], False)
    return Expected(404, None, False)


# -- one request ------------------------------------------------------------------------------


def request_path(setup: Setup, pattern: Pattern, rule: Rule, state: str) -> str:
    kind = rule.target
    params: dict[str, object] = {}
    if CONVERTER.search(pattern.route) or GROUP.search(pattern.route):
        assert kind is not None, f"{pattern.key}: its route takes parameters, its rule no target"
        params = setup.world.params(kind, state)
    path = fill(pattern.route, params)
    match = resolve(path)
    resolved = match.view_name if match.url_name else match.route
    # A regex route's "^" is not part of the route the resolver names.
    assert resolved in (pattern.key, pattern.key.replace("^", "")), (
        f"{path} resolves to {resolved}, not to {pattern.key}"
    )
    query = rule.query
    return path + (query(setup.world, state) if callable(query) else query)


def body_of(setup: Setup, rule: Rule, state: str) -> dict[str, Any]:
    data = rule.data
    return dict(data(setup.world, state) if callable(data) else data)


def send(
    client: Client,
    method: str,
    path: str,
    data: dict[str, Any],
    token: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    as_json: bool = False,
) -> Any:
    """One request: a form (as a page's), or a JSON body (as the API's)."""
    sent_headers = dict(headers or {})
    if token is not None:
        client.cookies[settings.CSRF_COOKIE_NAME] = token
        sent_headers["X-CSRFToken"] = token
    extra: dict[str, Any] = {"headers": sent_headers} if sent_headers else {}
    if method == "GET":
        return client.get(path, **extra)
    send_method = getattr(client, method.lower())
    if as_json:
        body = json.dumps(data) if data else ""
        return send_method(path, body, content_type="application/json", **extra)
    if method == "POST":
        return client.post(path, data, **extra)
    return send_method(path, "", **extra)


def content_of(response: Any) -> bytes:
    """The whole body; the test client closes the response once it is read (closing it again
    would end the database connection, inside the test's transaction)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


@dataclass
class Answer:
    response: Any
    content: bytes
    streaming: bool
    changed: list[str]  # the tables whose rows the request changed


def answer(
    setup: Setup,
    role: str,
    method: str,
    path: str,
    data: dict[str, Any],
    *,
    csrf: bool = False,
    **extra: Any,
) -> Answer:
    """Send one request in a transaction rolled back after it."""
    rows = Rows(setup.baseline)
    with transaction.atomic():
        rows.start()
        response = send(client_for(setup, role, csrf=csrf), method, path, data, **extra)
        streaming = response.streaming
        content = content_of(response)
        changed = rows.changed()
        transaction.set_rollback(True)
    return Answer(response, content, streaming, changed)


def location_problem(response: Any, want: str | None) -> str | None:
    where = response.get("Location", "")
    if want is None:
        # A success never turns out to be a login page in disguise.
        if where.startswith(("/accounts/login/", "/admin/login/")):
            return f"redirected to log in ({where})"
        return None
    if not where.startswith(want):
        return f"redirected to {where!r}, expected {want!r}"
    return None


def check(
    setup: Setup, pattern: Pattern, rule: Rule, method: str, role: str, state: str
) -> list[str]:
    """Send one request and say what, if anything, is wrong with its answer."""
    path = request_path(setup, pattern, rule, state)
    want = expected(rule, role, state, method, path)
    sent = answer(setup, role, method, path, body_of(setup, rule, state))
    response, content, streaming = sent.response, sent.content, sent.streaming
    label = f"{method} {path} as {role} ({state})"
    problems = []
    if response.status_code != want.status:
        problems.append(f"{label}: {response.status_code}, expected {want.status}")
    if want.status in (301, 302) and response.status_code == want.status:
        problem = location_problem(response, want.location)
        if problem:
            problems.append(f"{label}: {problem}")
    states = states_of(rule)
    kind = rule.lists or rule.target
    tables = sent.changed
    if tables and not (want.success and granted(rule.writes, role, state)):
        problems.append(f"{label}: changed rows of {', '.join(tables)}")
    if want.success and rule.serves and not content.startswith(MAGIC[rule.serves]):
        problems.append(f"{label}: not {rule.serves} bytes")
    if not want.success and (content.startswith(FILE_MAGIC) or streaming):
        problems.append(f"{label}: refused, but served file bytes")
    text = content.decode("utf-8", "replace")
    if rule.lists:
        # One page, checked for each state of the objects it may list.
        for listed in states:
            mark = setup.world.marker(kind, listed)
            shown = mark is not None and mark in text
            if shown != (want.success and granted(rule.shows, role, listed)):
                problems.append(
                    f"{label}: the {listed} {kind} is {'shown' if shown else 'missing'}"
                )
        COUNTS["cases"] += len(states)
    else:
        mark = setup.world.marker(kind, state)
        if not want.success and mark is not None and mark in text:
            problems.append(f"{label}: refused, but shows {mark!r}")
        COUNTS["cases"] += 1
    return problems


@dataclass(frozen=True)
class Call:
    """What a caller of the JSON API gets: a status, and the error's code when it fails."""

    status: int
    code: str | None
    success: bool


def expected_call(rule: Rule, caller: str, state: str, method: str) -> Call:
    if not rule.public:
        if caller in NOT_AUTHENTICATED:
            return Call(401, UNAUTHENTICATED_CODES[caller], False)
        if caller == SUSPENDED:
            return Call(403, "account_suspended", False)
    if granted(rule.may, caller, state):
        status = ok_status(rule, caller, method)
        return Call(status, None, status < 400)
    if granted(rule.declined, caller, state):
        return Call(rule.declined_status, rule.declined_code, False)
    return Call(404, "not_found", False)


def credentials(setup: Setup, caller: str) -> tuple[str, dict[str, str]]:
    """The session (a role's, or none) and the headers a caller of the API sends."""
    if caller == SESSION_ONLY:
        return OWNER, {}
    if caller == NO_TOKEN:
        return ANONYMOUS, {}
    return ANONYMOUS, {"Authorization": f"Bearer {setup.world.secrets[caller]}"}


def error_problem(response: Any, content: bytes, code: str | None) -> str | None:
    """What is wrong with an error of the API: its shape, or its code."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return f"an error that is not JSON ({response.get('Content-Type')})"
    try:
        body = json.loads(content)
    except ValueError:
        return "an error that is not JSON"
    error = body.get("error") if isinstance(body, dict) else None
    if set(body) != {"error"} or not isinstance(error, dict):
        return f"not the error shape: {body!r}"
    if set(error) != {"code", "message", "field"} or not error["message"]:
        return f"not the error shape: {body!r}"
    if code is not None and error["code"] != code:
        return f"error code {error['code']!r}, expected {code!r}"
    return None


def check_call(
    setup: Setup, pattern: Pattern, rule: Rule, method: str, caller: str, state: str
) -> list[str]:
    """Call the JSON API once and say what, if anything, is wrong with its answer."""
    path = request_path(setup, pattern, rule, state)
    want = expected_call(rule, caller, state, method)
    session, headers = credentials(setup, caller)
    data = body_of(setup, rule, state)
    sent = answer(setup, session, method, path, data, headers=headers, as_json=True)
    response, content = sent.response, sent.content
    label = f"{method} {path} by {caller} ({state})"
    problems = []
    if response.status_code != want.status:
        problems.append(f"{label}: {response.status_code}, expected {want.status}")
    elif not want.success:
        problem = error_problem(response, content, want.code)
        if problem:
            problems.append(f"{label}: {problem}")
    if sent.changed and not (want.success and granted(rule.writes, caller, state)):
        problems.append(f"{label}: changed rows of {', '.join(sent.changed)}")
    if want.success and rule.serves and not content.startswith(MAGIC[rule.serves]):
        problems.append(f"{label}: not {rule.serves} bytes")
    if not want.success and (content.startswith(FILE_MAGIC) or sent.streaming):
        problems.append(f"{label}: refused, but served file bytes")
    text = content.decode("utf-8", "replace")
    kind = rule.lists or rule.target
    if rule.lists:
        listed_states = states_of(rule)
        for listed in listed_states:
            mark = setup.world.marker(kind, listed)
            shown = mark is not None and mark in text
            if shown != (want.success and granted(rule.shows, caller, listed)):
                problems.append(
                    f"{label}: the {listed} {kind} is {'shown' if shown else 'missing'}"
                )
        cases = len(listed_states)
    else:
        mark = setup.world.marker(kind, state)
        if mark is not None and not want.success and mark in text:
            problems.append(f"{label}: refused, but shows {mark!r}")
        echoed = want.success and rule.echoes and not rule.serves
        if mark is not None and echoed and mark not in text:
            problems.append(f"{label}: does not show {mark!r}")
        cases = 1
    COUNTS["cases"] += cases
    COUNTS["token cases"] += cases
    return problems


def cases_of(rule: Rule) -> Iterator[tuple[str, str, str]]:
    """Each method, role (for the JSON API: caller) and state of a rule's requests."""
    for method in rule.methods:
        for role in CALLERS if rule.token else ROLES:
            for state in (NO_OBJECT,) if rule.lists else states_of(rule):
                yield method, role, state


def acting_case(setup: Setup, rule: Rule, pattern: Pattern) -> tuple[str, str] | None:
    """A logged-in role and a state in which the request is not refused by a permission (a
    403 would hide a CSRF refusal): an allowed one when there is one."""
    ordered = [role for role in rule.may if role in ROLES and role != ANONYMOUS]
    ordered += [role for role in ROLES if role not in ordered and role not in (ANONYMOUS,)]
    for role in ordered:
        if role == SUSPENDED:
            continue
        for state in states_of(rule):
            path = request_path(setup, pattern, rule, state)
            for method in rule.methods:
                if expected(rule, role, state, method, path).status == 403:
                    break
            else:
                return role, state
    return None


# -- the tests ----------------------------------------------------------------------------------


def test_every_url_pattern_has_a_rule_and_every_rule_a_pattern() -> None:
    missing = sorted(set(PATTERNS) - set(RULES))
    stale = sorted(set(RULES) - set(PATTERNS))
    assert not missing, (
        "URL patterns without an access rule (add one to tests/access_rules.py): "
        + ", ".join(f"{key} ({PATTERNS[key].route})" for key in missing)
    )
    assert not stale, "Access rules for URL patterns that do not exist: " + ", ".join(stale)
    for key in RULES:
        methods = methods_of(key)
        assert len(methods) == len(set(methods)), f"{key}: two rules for one method"


@pytest.mark.parametrize("key", sorted(PATTERNS))
def test_access(setup: Setup, key: str, record_property: Any) -> None:
    pattern = PATTERNS[key]
    rules = rules_of(key)
    if not rules:
        pytest.fail(f"No access rule for the URL pattern {key} ({pattern.route}): add one to "
                    "tests/access_rules.py")  # fmt: skip
    COUNTS["patterns"] += 1
    problems = []
    counted = COUNTS["cases"]
    for rule in rules:
        checker = check_call if rule.token else check
        for method, role, state in cases_of(rule):
            problems += checker(setup, pattern, rule, method, role, state)
    record_property("access_cases", COUNTS["cases"] - counted)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", sorted(PATTERNS))
def test_other_methods_are_refused(setup: Setup, key: str) -> None:
    """Each method the rules do not list answers 405, asked by a role allowed the others (the
    JSON API's: with that role's token, in the API's error shape)."""
    pattern, rules = PATTERNS[key], rules_of(key)
    if not rules:
        pytest.fail(f"No access rule for the URL pattern {key}")
    others = [method for method in METHODS if method not in methods_of(key)]
    if not others:
        return
    rule = rules[0]
    role, state = next(
        ((role, state) for role in rule.may if role in ROLES for state in states_of(rule)
         if granted(rule.may, role, state)),
        (SUPERUSER if not rule.token else OWNER, states_of(rule)[0]),
    )  # fmt: skip
    path = request_path(setup, pattern, rule, state)
    problems = []
    for method in others:
        data = body_of(setup, rule, state)
        if rule.token:
            session, headers = credentials(setup, role)
            sent = answer(setup, session, method, path, data, headers=headers, as_json=True)
        else:
            sent = answer(setup, role, method, path, data)
        COUNTS["probes"] += 1
        label = f"{method} {path} as {role}"
        if sent.response.status_code != 405:
            problems.append(f"{label}: {sent.response.status_code}, not 405")
        elif rule.token:
            problem = error_problem(sent.response, sent.content, "method_not_allowed")
            if problem or not sent.response.get("Allow"):
                problems.append(f"{label}: {problem or 'no Allow header'}")
        if sent.changed:
            problems.append(f"{label}: changed {sent.changed}")
    assert not problems, "\n".join(problems)


def test_metrics_answer_their_token_only(setup: Setup) -> None:
    """With METRICS_TOKEN set, /metrics answers that bearer token alone, whoever's session
    comes with it; without one or with another, 401."""
    problems = []
    tokens = {"no token": None, "a wrong token": f"{METRICS_TOKEN}x", "the token": METRICS_TOKEN}
    with override_settings(METRICS_TOKEN=METRICS_TOKEN):
        for role in ROLES:
            for name, token in tokens.items():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                sent = answer(setup, role, "GET", "/metrics", {}, headers=headers)
                COUNTS["cases"] += 1
                want = 200 if token == METRICS_TOKEN else 401
                if role == SUSPENDED:
                    want = 302
                status = sent.response.status_code
                label = f"GET /metrics as {role} with {name}"
                if status != want:
                    problems.append(f"{label}: {status}, expected {want}")
                if sent.changed:
                    problems.append(f"{label}: changed {sent.changed}")
                if want == 200 and b"mka1_generations_pending" not in sent.content:
                    problems.append(f"{label}: not the metrics")
    assert not problems, "\n".join(problems)


def csrf_exempt(path: str) -> bool:
    return path.startswith(CSRF_EXEMPT_PREFIXES)


@pytest.mark.parametrize(
    "key", sorted(key for key in PATTERNS if set(UNSAFE) & set(methods_of(key)))
)
def test_unsafe_requests_need_the_csrf_token(setup: Setup, key: str) -> None:
    """A cookie-authenticated POST, PUT, PATCH or DELETE without the CSRF token is refused
    with 403 and changes nothing; with the token it gets the rule's answer. The JSON API is
    exempt: a session cookie there gets its 401 (or the 404 of a path it does not have), with
    or without the CSRF token, and changes nothing."""
    pattern = PATTERNS[key]
    problems = []
    for rule in rules_of(key):
        unsafe = [method for method in rule.methods if method in UNSAFE]
        if not unsafe:
            continue
        chosen = acting_case(setup, rule, pattern)
        assert chosen is not None, f"{key}: no role gets past the permission checks"
        role, state = chosen
        path = request_path(setup, pattern, rule, state)
        for method in unsafe:
            want = expected(rule, role, state, method, path)
            data = body_of(setup, rule, state)
            for with_token in (False, True):
                token = {"token": CSRF_SECRET} if with_token else {}
                sent = answer(
                    setup, role, method, path, data, csrf=True, as_json=rule.token, **token
                )
                status = sent.response.status_code
                COUNTS["csrf"] += 1
                label = f"{method} {path} as {role} {'with' if with_token else 'without'} a token"
                if csrf_exempt(path):
                    # The token API takes no session cookie: a cookie alone gets nothing.
                    if want.success or status != want.status or sent.changed:
                        problems.append(f"{label}: {status}, expected {want.status} and no change")
                elif not with_token:
                    if status != 403:
                        problems.append(f"{label}: {status}, expected 403")
                    if sent.changed:
                        problems.append(f"{label}: changed {sent.changed}")
                elif status != want.status:
                    problems.append(f"{label}: {status}, expected {want.status}")
    assert not problems, "\n".join(problems)
