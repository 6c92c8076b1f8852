"""Every page works under the strict Content-Security-Policy: a real browser visits the portal's
pages and the admin's, uses their scripts, and no policy violation is reported."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from gallery import services as gallery_services
from gallery.models import Export, GeneratedImage, Generation
from moderation import services as moderation_services
from moderation.models import Case
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, GeneratedImageFactory, GenerationFactory, UserFactory
from tests.team_world import TeamWorld, build_world

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

# Runs in every document before its own scripts: keeps each violation the browser reports.
RECORD_VIOLATIONS = """
window.__policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__policyViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile}:${event.lineNumber}) ${event.sample}`
  );
});
"""


class PolicyWatch:
    """Visits pages in one tab and fails on any violation, reported by an event or the console."""

    def __init__(self, page, base_url: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.base_url = base_url
        self.console: list[str] = []
        self.pages = 0
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def visit(self, path: str) -> None:
        response = self.page.goto(f"{self.base_url}{path}")
        assert response is not None and response.status == 200, f"{path}: {response}"
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, (path, policy)
        self.pages += 1
        self.assert_clean()

    def assert_clean(self) -> None:
        violations = self.page.evaluate("window.__policyViolations || []")
        assert violations == [], f"{self.page.url}: {violations}"
        assert self.console == [], self.console


@pytest.fixture
def world() -> TeamWorld:
    world = build_world()
    owner = world.owner
    GenerationFactory(user=owner, team=world.crew, status=Generation.Status.QUEUED)
    trashed = GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt="a torn map"))
    GeneratedImage.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    moderation_services.report_submit(
        reporter=world.teammate, image=world.shared, reason="copyright", note="From a catalogue"
    )
    return world


def test_portal_pages_raise_no_policy_violation(page, live_server, world: TeamWorld) -> None:  # type: ignore[no-untyped-def]
    watch = PolicyWatch(page, live_server.url)
    image, generation = world.private, world.private.generation
    export = Export.objects.create(user=world.owner, image_ids=[image.pk, world.shared.pk])
    gallery_services.export_build(export_id=export.pk)

    # The login page, before any session.
    watch.visit(reverse("login"))
    log_in(page, live_server, "alice", PASSWORD)
    watch.assert_clean()

    # The gallery: its pending card refreshes through htmx; a tile is selected with the mouse.
    with page.expect_response(re.compile(r"/generations/\d+/card/")):
        watch.visit(reverse("gallery:index"))
    watch.assert_clean()
    page.locator(f"#image-{image.pk} input[name=ids]").check()
    expect(page.locator(f"#image-{image.pk}")).to_have_class(re.compile("selected"))
    watch.assert_clean()

    for path in (
        reverse("gallery:generation", args=[generation.pk]),
        reverse("gallery:generation-remix", args=[generation.pk]),
        reverse("gallery:image", args=[image.pk]),
        reverse("gallery:library"),
        reverse("gallery:library-image", args=[world.shared.pk]),
        reverse("gallery:trash"),
        reverse("gallery:export", args=[export.pk]),
        reverse("gallery:usage"),
        reverse("gallery:team-usage", args=[world.crew.slug]),
        reverse("accounts:team", args=[world.crew.slug]),
        reverse("moderation:notices"),
        reverse("moderation:my-reports"),
    ):
        watch.visit(path)
    # A search opens the filters' panel (a wide screen); Escape leaves an image's page.
    watch.visit(reverse("gallery:index") + "?q=lighthouse")
    expect(page.locator("details[data-open-wide]")).to_have_attribute("open", "")
    watch.visit(reverse("gallery:image", args=[image.pk]))
    with page.expect_navigation():
        page.keyboard.press("Escape")
    watch.assert_clean()
    print(f"{watch.pages} portal pages without a policy violation")


def test_moderation_and_admin_pages_raise_no_policy_violation(  # type: ignore[no-untyped-def]
    page, live_server, world: TeamWorld
) -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    case = Case.objects.get(image=world.shared)
    watch = PolicyWatch(page, live_server.url)
    log_in(page, live_server, "root", PASSWORD)

    for path in (
        reverse("moderation:queue"),
        reverse("moderation:case", args=[case.pk]),
        reverse("moderation:user", args=[world.owner.pk]),
        reverse("moderation:refusals"),
        reverse("moderation:audit"),
    ):
        watch.visit(path)
    # The case page's keyboard shortcut picks an action.
    watch.visit(reverse("moderation:case", args=[case.pk]))
    page.keyboard.press("h")
    expect(page.get_by_label("Hide the image")).to_be_checked()
    watch.assert_clean()

    for path in (
        reverse("admin:index"),
        reverse("admin:gallery_generatedimage_changelist"),
        reverse("admin:gallery_generatedimage_changelist") + "?q=lighthouse",
        reverse("admin:gallery_generatedimage_change", args=[world.shared.pk]),
        reverse("admin:gallery_generation_change", args=[world.shared.generation_id]),
        reverse("admin:auth_user_change", args=[world.owner.pk]),
        reverse("admin:auth_user_add"),
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:moderation_case_change", args=[case.pk]),
    ):
        watch.visit(path)

    # A change form with an inline and autocompletion: add a row, search for a user.
    watch.visit(reverse("admin:accounts_team_change", args=[world.crew.pk]))
    page.locator(".add-row a").click()
    page.locator(".dynamic-memberships .select2-selection").last.click()
    page.locator(".select2-search__field").fill("ev")
    expect(page.locator(".select2-results__option", has_text="eve")).to_be_visible()
    watch.assert_clean()
    # An add form fills the slug in from the name as it is typed.
    watch.visit(reverse("admin:accounts_team_add"))
    page.get_by_label("Name").press_sequentially("Night Shift")
    expect(page.get_by_label("Slug")).to_have_value("night-shift")
    watch.assert_clean()
    # A changelist's select-all checkbox and action bar.
    watch.visit(reverse("admin:accounts_team_changelist"))
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("2 of 2 selected")
    watch.assert_clean()
    print(f"{watch.pages} moderation and admin pages without a policy violation")
