"""A new user's first generation, in a real browser against a real worker and stand-in."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gallery.models import GeneratedImage
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.foundation, pytest.mark.django_db(transaction=True)]


def test_generate_two_images_find_them_and_keep_them_private(
    page, live_server, celery_worker, standin_config, tmp_path
) -> None:
    standin_config.latency = (0.5, 0.5)
    alice = UserFactory(username="alice")
    UserFactory(username="bob")
    log_in(page, live_server, "alice", PASSWORD)

    page.get_by_label("Prompt", exact=True).fill("a lighthouse above a stormy harbour")
    page.get_by_label("Images", exact=True).fill("2")
    page.locator("form.generate").get_by_label("Size", exact=True).select_option("512x512")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("is queued")).to_be_visible()

    # The page refreshes itself when the generation finishes.
    cards = page.locator("section[aria-labelledby=images-heading] li.tile img")
    expect(cards).to_have_count(2, timeout=30_000)
    for index in range(2):
        expect(cards.nth(index)).to_have_js_property("complete", True)
        assert cards.nth(index).evaluate("img => img.naturalWidth") > 0

    # Search by a word that only the revised prompt holds.
    revised = GeneratedImage.objects.filter(user=alice)[0].revised_prompt
    extra_words = set(re.findall(r"[a-z]{5,}", revised.lower())) - set(
        re.findall(r"[a-z]+", "a lighthouse above a stormy harbour")
    )
    word = sorted(extra_words)[0]
    page.get_by_label("Search prompts").fill(word)
    page.get_by_role("button", name="Search").click()
    expect(cards).to_have_count(2)
    screenshots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    page.screenshot(path=str(screenshots / "gallery-search.png"), full_page=True)

    cards.first.click()
    expect(page.get_by_role("heading", name=re.compile("Image \\d of 2"))).to_be_visible()
    detail_url = page.url
    file_url = page.locator("figure img").get_attribute("src")

    page.get_by_role("button", name=re.compile("Log out")).click()
    log_in(page, live_server, "bob", PASSWORD)
    assert page.goto(detail_url).status == 404
    assert page.goto(f"{live_server.url}{file_url}").status == 404
    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("No images yet")).to_be_visible()
