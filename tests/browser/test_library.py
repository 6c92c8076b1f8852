"""The shared library in a real browser: share, find, remix with the real worker, and the 404s."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership
from gallery.models import GeneratedImage, Generation
from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    GeneratedImageFactory,
    GenerationFactory,
    MembershipFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.teams, pytest.mark.django_db(transaction=True)]


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=re.compile("^Log out")).click()
    page.wait_for_url(re.compile("/accounts/login/"))


def test_share_find_remix_and_keep_other_teams_out(
    page,  # type: ignore[no-untyped-def]
    live_server,  # type: ignore[no-untyped-def]
    celery_worker,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    crew = TeamFactory(name="Crew", slug="crew")
    alice = MembershipFactory(team=crew, user__username="alice", role=Membership.Role.ADMIN).user
    MembershipFactory(team=crew, user__username="bob")
    MembershipFactory(team__name="Rivals", user__username="carol", role=Membership.Role.ADMIN)
    images = [
        GeneratedImageFactory(
            generation=GenerationFactory(user=alice, prompt=prompt, team=crew),
            file__color=color,
        )
        for prompt, color in (
            ("a copper teapot on a cast iron stove", "#b87333"),
            ("a lighthouse above a stormy harbour", "#2c3e50"),
        )
    ]
    teapot, lighthouse = images

    # Alice shares both from their pages.
    log_in(page, live_server, "alice", PASSWORD)
    for image in images:
        page.goto(f"{live_server.url}{reverse('gallery:image', args=[image.pk])}")
        expect(page.get_by_label("Share with")).to_have_value("crew")
        page.get_by_role("button", name="Share", exact=True).click()
        expect(
            page.get_by_text("Shared with Crew: its members see it in the library.")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Unshare")).to_be_visible()
    assert GeneratedImage.objects.filter(shared_team=crew).count() == 2
    log_out(page)

    # Bob finds the teapot by searching the library, and remixes it.
    log_in(page, live_server, "bob", PASSWORD)
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Crew library")).to_be_visible()
    cards = page.locator("section[aria-labelledby=library-heading] li.tile")
    expect(cards).to_have_count(2)
    page.get_by_label("Search prompts").fill("teapot")
    page.get_by_role("button", name="Search").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("by alice")
    thumbnail = cards.first.locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    cards.first.locator("a").click()
    expect(page.get_by_role("heading", name="Shared by alice")).to_be_visible()

    page.get_by_role("link", name="Remix", exact=True).click()
    expect(page.get_by_role("heading", name="Remix an image by alice")).to_be_visible()
    prompt = page.get_by_label("Prompt", exact=True)
    expect(prompt).to_have_value("a copper teapot on a cast iron stove")
    prompt.fill("a copper teapot on a cast iron stove, as a woodcut")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("is queued")).to_be_visible()

    remix = Generation.objects.get(user__username="bob")
    assert remix.remixed_from_id == teapot.pk and remix.team_id == crew.pk
    own_cards = page.locator("section[aria-labelledby=images-heading] li.tile")
    expect(own_cards.locator("img")).to_have_count(1, timeout=30_000)
    expect(own_cards.first.locator(".badge")).to_have_text("Remix")
    screenshots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(screenshots / "library-remix.png"), full_page=True)

    own_cards.first.locator("a").click()
    expect(page.get_by_text("Remixed from an image by alice.")).to_be_visible()
    page.get_by_role("link", name=f"Generation {remix.pk}").click()
    expect(page.get_by_text("Remixed from an image by alice.")).to_be_visible()
    page.get_by_role("link", name="an image by alice").click()
    expect(page.get_by_role("heading", name="Shared by alice")).to_be_visible()
    assert page.url.endswith(reverse("gallery:library-image", args=[teapot.pk]))
    log_out(page)

    # Carol, of another team, can open neither image nor its files.
    log_in(page, live_server, "carol", PASSWORD)
    for image in (teapot, lighthouse):
        for name in ("gallery:library-image", "gallery:image-file", "gallery:image-thumbnail"):
            response = page.goto(f"{live_server.url}{reverse(name, args=[image.pk])}")
            assert response is not None and response.status == 404, name
    page.goto(f"{live_server.url}{reverse('gallery:library')}")
    expect(page.get_by_role("heading", name="Rivals library")).to_be_visible()
    expect(page.locator("li.tile")).to_have_count(0)
