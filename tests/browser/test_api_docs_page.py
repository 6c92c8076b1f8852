"""The API's docs page works under a strict Content-Security-Policy: Swagger UI's files come
from the portal, and nothing on the page needs an inline script or a CDN."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.restapi, pytest.mark.django_db(transaction=True)]

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def test_swagger_ui_lists_the_operations_under_a_strict_policy(page, live_server) -> None:  # type: ignore[no-untyped-def]
    blocked: list[str] = []
    elsewhere: list[str] = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and blocked.append(message.text),
    )
    page.on(
        "request",
        lambda request: request.url.startswith(live_server.url) or elsewhere.append(request.url),
    )

    def with_policy(route) -> None:  # type: ignore[no-untyped-def]
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": STRICT}
        )

    page.route(f"{live_server.url}/api/v1/docs", with_policy)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.get_by_text("Submit a generation").first.wait_for()
    assert page.get_by_text("/api/v1/images/{image_id}/download").count() >= 1
    assert elsewhere == []
    assert blocked == []
