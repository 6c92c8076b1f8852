"""The gallery in a real browser: search, selection, trash, export, live cards, keyboard, phone."""

from __future__ import annotations

import json
import os
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import expect

from gallery.models import GeneratedImage, Generation
from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    FavoriteFactory,
    GeneratedImageFactory,
    GenerationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.gallery, pytest.mark.django_db(transaction=True)]

PROMPTS = [
    ("a red lighthouse on a cliff at dawn", "512x512", "#c0392b"),
    ("a violin resting on a velvet chair", "256x256", "#8e44ad"),
    ("a lighthouse in a winter storm, waves crashing", "512x512", "#2c3e50"),
    ("a bowl of lemons in morning light", "256x256", "#f1c40f"),
    ("a quiet harbour with fishing boats", "1024x1024", "#16a085"),
    ("a paper lantern festival over a river", "256x256", "#e67e22"),
    ("a green lighthouse seen from a sailing boat", "256x256", "#27ae60"),
    ("an astronaut reading a newspaper on the moon", "512x512", "#7f8c8d"),
]


def screenshot_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)


@pytest.fixture
def alice():  # type: ignore[no-untyped-def]
    return UserFactory(username="alice")


@pytest.fixture
def gallery(alice) -> list[GeneratedImage]:  # type: ignore[no-untyped-def]
    """Alice's images, newest first, one minute apart."""
    images = []
    for prompt, size, color in PROMPTS:
        generation = GenerationFactory(user=alice, prompt=prompt, size=size)
        images.append(
            GeneratedImageFactory(
                generation=generation,
                revised_prompt=f"{prompt}, detailed, soft light",
                file__color=color,
                thumbnail__color=color,
            )
        )
    start = timezone.now() - timedelta(hours=1)
    for minutes, image in enumerate(images):
        GeneratedImage.objects.filter(pk=image.pk).update(
            created_at=start + timedelta(minutes=minutes)
        )
    return images[::-1]


def card(page, image: GeneratedImage):  # type: ignore[no-untyped-def]
    return page.locator(f"#image-{image.pk}")


def shown_ids(page) -> list[int]:  # type: ignore[no-untyped-def]
    ids = page.locator("ul.grid li.tile[id^=image-]").evaluate_all("tiles => tiles.map(t => t.id)")
    return [int(value.removeprefix("image-")) for value in ids]


def test_search_and_filter_in_the_page(page, live_server, alice, gallery) -> None:
    FavoriteFactory(user=alice, image=gallery[5])  # "a lighthouse in a winter storm"
    log_in(page, live_server, "alice", PASSWORD)
    expect(page.locator("ul.grid li.tile")).to_have_count(len(PROMPTS))

    page.get_by_label("Search prompts").fill("lighthouse")
    page.get_by_role("button", name="Search", exact=True).click()
    lighthouses = [image.pk for image in gallery if "lighthouse" in image.generation.prompt]
    expect(page.locator("ul.grid li.tile")).to_have_count(3)
    assert sorted(shown_ids(page)) == sorted(lighthouses)
    expect(page.locator("ul.grid mark").first).to_have_text("lighthouse")

    filters = page.get_by_role("search", name="Search and filters")
    filters.get_by_label("Size", exact=True).select_option("512x512")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("ul.grid li.tile")).to_have_count(2)
    assert page.get_by_label("Search prompts").input_value() == "lighthouse"

    page.get_by_label("Favorites only").check()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("ul.grid li.tile")).to_have_count(1)
    assert shown_ids(page) == [gallery[5].pk]

    page.get_by_label("Search prompts").fill("lighthuose")
    page.get_by_label("Favorites only").uncheck()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("showing results for “lighthouse”")).to_be_visible()
    expect(page.locator("ul.grid li.tile")).to_have_count(2)


def test_select_a_range_delete_it_and_restore_from_the_trash(
    page, live_server, alice, gallery
) -> None:
    log_in(page, live_server, "alice", PASSWORD)
    # Click the second card, shift-click the fifth: the four between are selected.
    card(page, gallery[1]).locator("input[name=ids]").click()
    card(page, gallery[4]).locator("input[name=ids]").click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")
    for image in gallery[1:5]:
        expect(card(page, image)).to_have_class(re.compile(r"\bselected\b"))
    expect(card(page, gallery[0])).not_to_have_class(re.compile(r"\bselected\b"))

    page.locator("#bulk").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Moved 4 image(s) to the trash.")).to_be_visible()
    assert shown_ids(page) == [image.pk for image in (gallery[0], *gallery[5:])]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    expect(page.locator("ul.grid li.tile")).to_have_count(4)
    thumbnails = page.locator("ul.grid li.tile img")
    for index in range(4):
        expect(thumbnails.nth(index)).to_have_js_property("complete", True)
        assert thumbnails.nth(index).evaluate("img => img.naturalWidth") > 0

    card(page, gallery[2]).locator("input[name=ids]").click()
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Restored 1 image(s).")).to_be_visible()
    expect(page.locator("ul.grid li.tile")).to_have_count(3)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
    expect(card(page, gallery[2])).to_be_visible()
    assert len(shown_ids(page)) == len(PROMPTS) - 3


def test_export_a_search_and_download_the_zip(
    page, live_server, celery_worker, alice, gallery
) -> None:
    log_in(page, live_server, "alice", PASSWORD)
    page.get_by_label("Search prompts").fill("lighthouse")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("ul.grid li.tile")).to_have_count(3)
    page.get_by_role("button", name="Export all results").click()
    expect(page.get_by_role("heading", name=re.compile(r"Export \d+"))).to_be_visible()

    download_link = page.get_by_role("link", name="Download the zip")
    expect(download_link).to_be_visible(timeout=60_000)  # the page follows the worker
    with page.expect_download() as info:
        download_link.click()
    archive = zipfile.ZipFile(info.value.path())
    metadata = json.loads(archive.read("metadata.json"))
    exported = {entry["image"]["id"]: entry for entry in metadata["images"]}
    lighthouses = [image for image in gallery if "lighthouse" in image.generation.prompt]
    assert sorted(exported) == sorted(image.pk for image in lighthouses)
    for image in lighthouses:
        with default_storage.open(image.file.name, "rb") as original:
            assert archive.read(exported[image.pk]["file"]) == original.read()
        assert exported[image.pk]["generation"]["prompt"] == image.generation.prompt


def test_a_pending_card_turns_into_images_without_a_reload(
    page, live_server, celery_worker, standin_config, alice, gallery
) -> None:
    standin_config.latency = (2.0, 2.0)
    log_in(page, live_server, "alice", PASSWORD)
    page.get_by_label("Prompt", exact=True).fill("a lighthouse made of glass")
    page.get_by_label("Images", exact=True).fill("2")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("is queued")).to_be_visible()

    pending = page.locator("li.tile.pending")
    expect(pending).to_have_count(1)
    page.evaluate("window.__marker = 1")

    generation = Generation.objects.get(prompt="a lighthouse made of glass")
    new_cards = page.locator(
        ", ".join(f"#image-{pk}" for pk in range(gallery[0].pk + 1, gallery[0].pk + 20))
    )
    expect(new_cards).to_have_count(2, timeout=45_000)
    expect(pending).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    assert sorted(shown_ids(page)[:2]) == sorted(generation.images.values_list("pk", flat=True))
    for index in range(2):
        image = new_cards.nth(index).locator("img")
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    # The new cards are selectable like the others.
    new_cards.first.locator("input[name=ids]").click()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")


def test_arrow_keys_move_between_images_and_escape_goes_back(
    page, live_server, alice, gallery
) -> None:
    log_in(page, live_server, "alice", PASSWORD)
    card(page, gallery[2]).locator("a").first.click()
    page.wait_for_url(f"**/images/{gallery[2].pk}/")

    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/images/{gallery[3].pk}/")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/images/{gallery[4].pk}/")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/images/{gallery[3].pk}/")
    expect(page.get_by_text(gallery[3].generation.prompt).first).to_be_visible()

    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(rf"/#image-{gallery[3].pk}$"))
    expect(card(page, gallery[3])).to_be_visible()


def test_arrow_keys_stay_within_a_search(page, live_server, alice, gallery) -> None:
    log_in(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}/?q=lighthouse")
    lighthouses = [image for image in gallery if "lighthouse" in image.generation.prompt]
    card(page, lighthouses[0]).locator("a").first.click()
    page.wait_for_url(f"**/images/{lighthouses[0].pk}/?q=lighthouse")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/images/{lighthouses[1].pk}/?q=lighthouse")
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(rf"/\?q=lighthouse#image-{lighthouses[1].pk}$"))


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 900), ("phone", 390, 844)])
def test_the_grid_fits_desktop_and_phone(
    browser, live_server, alice, gallery, tmp_path, name: str, width: int, height: int
) -> None:
    FavoriteFactory(user=alice, image=gallery[1])
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2 if name == "phone" else 1,
        is_mobile=name == "phone",
        has_touch=name == "phone",
    )
    page = context.new_page()
    try:
        log_in(page, live_server, "alice", PASSWORD)
        page.goto(f"{live_server.url}/?q=lighthouse&sort=newest")
        page.goto(f"{live_server.url}/")
        cards = page.locator("ul.grid li.tile img")
        expect(cards).to_have_count(len(PROMPTS))
        for index in range(len(PROMPTS)):
            cards.nth(index).scroll_into_view_if_needed()
            expect(cards.nth(index)).to_have_js_property("complete", True)
        page.evaluate("window.scrollTo(0, 0)")
        # Nothing sticks out sideways: no horizontal scrolling on any width.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
        columns = page.locator("ul.grid[data-selectable]").evaluate(
            "grid => getComputedStyle(grid).gridTemplateColumns.split(' ').length"
        )
        assert columns >= (2 if name == "phone" else 4)
        page.screenshot(path=str(screenshot_dir(tmp_path) / f"gallery-{name}.png"), full_page=True)
    finally:
        context.close()
