"""The API's docs page works under the portal's own Content-Security-Policy: Swagger UI's files
come from the portal, and nothing on the page needs an inline script or a CDN."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.restapi, pytest.mark.django_db(transaction=True)]


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

    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (event) => window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));"
    )
    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    page.get_by_text("Submit a generation").first.wait_for()
    assert page.get_by_text("/api/v1/images/{image_id}/download").count() >= 1
    assert elsewhere == []
    assert blocked == []
    assert page.evaluate("window.__violations") == []
