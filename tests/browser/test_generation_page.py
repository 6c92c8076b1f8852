"""A generation's own page follows it to its end in place, through the card's htmx poll."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gallery import services
from gallery.models import Generation
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, GenerationFactory, UserFactory

pytestmark = [pytest.mark.foundation, pytest.mark.django_db(transaction=True)]


def test_a_queued_generations_page_turns_into_its_images_without_a_reload(
    page, live_server
) -> None:
    # Queued as the form queues it, but with no message sent: nothing else may run it.
    generation = GenerationFactory(
        user=UserFactory(username="ada"),
        prompt="a paper boat on a rain puddle",
        n=2,
        response_format="b64_json",
        status=Generation.Status.QUEUED,
        charged=2,
    )
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/generations/{generation.pk}/")
    article = page.locator("article#generation-page")
    expect(article.locator("li.pending")).to_be_visible()
    expect(article.locator("dl.params .status")).to_have_text("Queued")
    # Marks this document: a reload would start a new one without it.
    page.evaluate("window.stillTheSamePage = true")

    # No worker runs in this test: the generation is run here, while the page polls.
    services.generation_run(generation_id=generation.pk)
    assert Generation.objects.get(pk=generation.pk).status == Generation.Status.SUCCEEDED

    expect(article.locator("dl.params .status")).to_have_text("Succeeded", timeout=15_000)
    thumbnails = article.locator("ul.grid img")
    expect(thumbnails).to_have_count(2)
    for index in range(2):
        expect(thumbnails.nth(index)).to_have_js_property("complete", True)
        assert thumbnails.nth(index).evaluate("img => img.naturalWidth") > 0
    expect(article.get_by_role("button", name="Cancel")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
