"""Moderation in a real browser: a teammate reports a shared image, a moderator hides it with
the keyboard, the library loses it, the owner sees why, the audit log has it; every page fits
a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from moderation import services
from moderation.models import Case
from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    GeneratedImageFactory,
    GenerationFactory,
    MembershipFactory,
)
from tests.team_world import TeamWorld, build_world, share
from tests.test_moderation_views import make_moderator

pytestmark = [pytest.mark.moderation, pytest.mark.django_db(transaction=True)]


def screenshot_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=re.compile("^Log out")).click()
    page.wait_for_url(re.compile("/accounts/login/"))


@pytest.fixture
def world() -> TeamWorld:
    world = build_world()
    # A second reported image, by bob, so the queue holds more than the case acted on.
    teapot = share(
        GeneratedImageFactory(
            generation=GenerationFactory(
                user=world.teammate, team=world.crew, prompt="a copper teapot on a cast iron stove"
            ),
            file__color="#b87333",
            thumbnail__color="#b87333",
        ),
        world.crew,
    )
    services.report_submit(
        reporter=world.owner, image=teapot, reason="copyright", note="Looks like a catalogue"
    )
    return world


def test_report_hide_and_audit_an_image(page, live_server, world: TeamWorld, tmp_path) -> None:  # type: ignore[no-untyped-def]
    moderator = make_moderator()
    image_url = reverse("gallery:library-image", args=[world.shared.pk])

    # Bob reports alice's shared image from its library page.
    log_in(page, live_server, "bob", PASSWORD)
    page.goto(f"{live_server.url}{image_url}")
    page.get_by_text("Report this image").click()
    page.get_by_label("Why").select_option("violence")
    page.get_by_label("Note (optional)").fill("A fight in the background")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thanks, your report was received.")).to_be_visible()
    expect(page.get_by_text("You reported this image.")).to_be_visible()
    log_out(page)
    case = Case.objects.get(image=world.shared)

    # The moderator finds it in the queue and hides it from its page, with the keyboard.
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, moderator.username, PASSWORD)
    page.get_by_role("link", name="Moderation").click()
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()
    entry = page.locator(f"#case-{case.pk}")
    expect(entry).to_contain_text("a lighthouse in the fog")
    expect(entry).to_contain_text("Violence by bob")
    expect(entry.locator("img")).to_have_js_property("complete", True)
    assert entry.locator("img").evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(screenshot_dir(tmp_path) / "moderation-queue.png"))

    entry.get_by_role("link", name=f"Case {case.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case {case.pk}")
    expect(page.get_by_text("A fight in the background")).to_be_visible()
    page.screenshot(path=str(screenshot_dir(tmp_path) / "moderation-case.png"))
    page.keyboard.press("h")
    expect(page.get_by_label("Hide the image")).to_be_checked()
    expect(page.get_by_label("Reason")).to_be_focused()
    page.keyboard.type("Graphic violence")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"The image of case {case.pk} is hidden.")).to_be_visible()
    page.get_by_role("link", name="Audit log").click()
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("image.hide")
    expect(row).to_contain_text("Graphic violence")
    expect(row).to_contain_text(moderator.username)
    log_out(page)

    # Bob's library no longer shows it; its page is gone for him.
    log_in(page, live_server, "bob", PASSWORD)
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Crew library")).to_be_visible()
    expect(page.locator(f"#image-{world.shared.pk}")).to_have_count(0)
    response = page.goto(f"{live_server.url}{image_url}")
    assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/")
    log_out(page)

    # Alice sees it marked hidden, and the notice with the reason.
    log_in(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}{reverse('gallery:image', args=[world.shared.pk])}")
    expect(page.get_by_text("Hidden by a moderator: Graphic violence.")).to_be_visible()
    page.get_by_role("link", name="Notices").click()
    expect(page.get_by_text("Reason: Graphic violence")).to_be_visible()


def test_the_moderation_pages_fit_a_phone_with_one_heading_each(
    browser,
    live_server,
    world: TeamWorld,  # type: ignore[no-untyped-def]
) -> None:
    moderator = make_moderator("mona")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    MembershipFactory(team=world.crew, user=moderator)
    case = Case.objects.get()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    try:
        log_in(page, live_server, "mona", PASSWORD)
        header = page.locator("header.topbar")
        expect(header.get_by_role("link", name="Admin")).to_be_visible()
        expect(header.get_by_role("link", name="Moderation")).to_be_visible()
        for url in (
            reverse("gallery:index"),
            reverse("moderation:queue"),
            reverse("moderation:case", args=[case.pk]),
            reverse("moderation:user", args=[world.teammate.pk]),
            reverse("moderation:refusals"),
            reverse("moderation:audit"),
            reverse("moderation:my-reports"),
            reverse("moderation:notices"),
        ):
            page.goto(f"{live_server.url}{url}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} is {width}px wide on a 390px phone"
            assert page.locator("h1").count() == 1, url
    finally:
        context.close()
