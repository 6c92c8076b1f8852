"""Hostile text in a real browser: prompts, revised prompts, a team's name, a report's note and a
saved search's name full of HTML and script are shown as text on every page that shows them,
search highlights and Django admin included. No dialog opens, no element of theirs appears,
no link leads to javascript:, each payload reads back as its raw text, and no page breaks the
Content-Security-Policy: with the policy as configured, and with it switched off (so the
escaping alone is what is tested)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Membership
from gallery.models import GeneratedImage
from moderation import services as moderation_services
from moderation.models import Case
from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    GeneratedImageFactory,
    GenerationFactory,
    MembershipFactory,
    SavedSearchFactory,
    TeamFactory,
    UserFactory,
)
from tests.team_world import share

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]


def payload(tag: str) -> str:
    """Script in every form a page might run it: a tag, an attribute breaking out of its quotes,
    an SVG handler, a javascript: URL; and words the search below finds and marks."""
    return (
        f'{tag} <script>alert("{tag}")</script> "><img src=x onerror=alert("{tag}")> '
        f'<svg onload=alert("{tag}")> <a href="javascript:alert(\'{tag}\')">go</a> '
        f"javascript:alert('{tag}') a lighthouse"
    )


def short_payload(tag: str) -> str:
    """For names of at most 80 characters."""
    return f'{tag} <script>alert(1)</script>"><img src=x onerror=alert(2)>'


PROMPT = payload("prompt")
REVISED = payload("revised")
NOTE = payload("note")
TEAM = f"Crew {short_payload('team')}"
SAVED = short_payload("saved")
# Words inside the payload (PostgreSQL drops the <script> tag itself, not what it holds):
# the highlight marks wrap parts of its tags, handlers and script.
SEARCH = "img onerror alert"

# Records dialogs and CSP violations from the first script of every document.
LISTENERS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sample || ""}`.trim()
  );
});
"""
# What a payload would leave in the document had it been parsed as HTML.
INJECTED = """() => {
  const found = [];
  for (const element of document.querySelectorAll("[onerror], [onload], img[src='x']")) {
    found.push(element.outerHTML.slice(0, 120));
  }
  for (const element of document.querySelectorAll("[href], [src], [action], [formaction]")) {
    for (const name of ["href", "src", "action", "formaction"]) {
      const value = (element.getAttribute(name) || "").trim().toLowerCase();
      if (value.startsWith("javascript:")) found.push(element.outerHTML.slice(0, 120));
    }
  }
  return found;
}"""


@dataclass
class Hostile:
    image: GeneratedImage
    case: Case
    owner: str
    reporter: str
    superuser: str


@pytest.fixture(params=["as configured", "switched off"])
def content_security_policy(request: pytest.FixtureRequest, settings: Any) -> str:
    """The policy as the settings configure it, or none at all. django-csp 4 reads both of its
    settings on every response and sends no header for an empty one, so this also works (and
    changes nothing) where it is not installed."""
    if request.param == "switched off":
        settings.CONTENT_SECURITY_POLICY = None
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None
    return str(request.param)


@pytest.fixture
def hostile() -> Hostile:
    team = TeamFactory(name=TEAM, slug="crew")
    owner = MembershipFactory(team=team, user__username="alice", role=Membership.Role.ADMIN).user
    teammate = MembershipFactory(team=team, user__username="bob").user
    generation = GenerationFactory(user=owner, team=team, prompt=PROMPT)
    image = share(GeneratedImageFactory(generation=generation, revised_prompt=REVISED), team)
    SavedSearchFactory(user=owner, name=SAVED, query_string="q=javascript:alert('saved')")
    moderation_services.report_submit(reporter=teammate, image=image, reason="other", note=NOTE)
    UserFactory(username="root", is_staff=True, is_superuser=True)
    return Hostile(
        image=image,
        case=Case.objects.get(image=image),
        owner="alice",
        reporter="bob",
        superuser="root",
    )


class Browser:
    """One user's browser: every dialog and every CSP violation is recorded."""

    def __init__(self, browser: Any, live_server: Any, username: str) -> None:
        self.live_server = live_server
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(LISTENERS)
        self.dialogs: list[str] = []
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("dialog", self._dialog)
        log_in(self.page, live_server, username, PASSWORD)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def visit(self, path: str, shows: list[str]) -> list[str]:
        """Open a page; what is wrong with it, if anything."""
        page = self.page
        response = page.goto(f"{self.live_server.url}{path}")
        page.wait_for_load_state("load")
        problems = []
        if response is None or response.status != 200:
            problems.append(f"{path}: {response.status if response else 'no answer'}")
        text = page.evaluate("document.body.textContent")
        problems += [
            f"{path}: {raw[:40]!r}… is not shown as text" for raw in shows if raw not in text
        ]
        problems += [f"{path}: injected {html}" for html in page.evaluate(INJECTED)]
        problems += [f"{path}: CSP violation {v}" for v in page.evaluate("window.__cspViolations")]
        problems += [f"{path}: a dialog opened ({message})" for message in self.dialogs]
        self.dialogs.clear()
        return problems

    def reads(self, selector: str, raw: str) -> list[str]:
        """The element's textContent is the raw text, as typed."""
        text = self.page.locator(selector).first.text_content()
        return [] if text == raw else [f"{self.page.url}: {selector} reads {text!r}"]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_browser(browser: Any, live_server: Any) -> Iterator[Any]:
    opened: list[Browser] = []

    def open_as(username: str) -> Browser:
        opened.append(Browser(browser, live_server, username))
        return opened[-1]

    yield open_as
    for one in opened:
        one.close()


def test_hostile_text_is_inert_everywhere(
    open_browser: Any, hostile: Hostile, content_security_policy: str
) -> None:
    image, case = hostile.image, hostile.case
    problems: list[str] = []

    owner = open_browser(hostile.owner)
    problems += owner.visit("/", [PROMPT, REVISED, SAVED, TEAM])
    problems += owner.visit(f"/?q={SEARCH.replace(' ', '+')}", [PROMPT, REVISED])
    # The highlighted card: marks inside its payloads, and the prompts read back as typed.
    card = f"#image-{image.pk} p.prompt"
    assert owner.page.locator(f"{card} mark").count() >= 3, "the search marks nothing"
    problems += owner.reads(card, PROMPT) + owner.reads(f"#image-{image.pk} p.revised", REVISED)
    problems += owner.visit(reverse("gallery:image", args=[image.pk]), [PROMPT, REVISED])
    problems += owner.reads(".prompt-full", PROMPT)
    problems += owner.visit(reverse("gallery:generation", args=[image.generation_id]), [PROMPT])
    problems += owner.reads(".prompt-full", PROMPT)
    problems += owner.visit(reverse("gallery:library"), [PROMPT, TEAM])
    problems += owner.visit(reverse("gallery:library-image", args=[image.pk]), [PROMPT, REVISED])
    problems += owner.visit(reverse("accounts:team", args=["crew"]), [TEAM])

    reporter = open_browser(hostile.reporter)
    problems += reporter.visit(reverse("moderation:my-reports"), [NOTE])

    superuser = open_browser(hostile.superuser)
    problems += superuser.visit(reverse("moderation:queue"), [PROMPT, NOTE])
    problems += superuser.visit(reverse("moderation:case", args=[case.pk]), [PROMPT, REVISED, NOTE])
    problems += superuser.visit(reverse("admin:accounts_team_changelist"), [TEAM])
    problems += superuser.visit(
        reverse("admin:accounts_team_change", args=[image.shared_team_id]), []
    )
    if superuser.page.locator("input[name=name]").input_value() != TEAM:
        problems.append("the team's name in admin's change form is not the name as typed")
    problems += superuser.visit(reverse("admin:gallery_generation_changelist"), [])
    problems += superuser.visit(
        reverse("admin:gallery_generation_change", args=[image.generation_id]), [PROMPT]
    )
    problems += superuser.visit(reverse("admin:gallery_generatedimage_changelist"), [])
    problems += superuser.visit(
        reverse("admin:gallery_generatedimage_change", args=[image.pk]), [REVISED]
    )
    problems += superuser.visit(
        reverse("admin:moderation_case_change", args=[case.pk]), [PROMPT, REVISED, NOTE]
    )
    report = case.reports.get()
    problems += superuser.visit(reverse("admin:moderation_report_change", args=[report.pk]), [NOTE])
    assert not problems, "\n".join(problems)
