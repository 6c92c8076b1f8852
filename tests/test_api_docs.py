"""docs/api.md runs as written: its curl and httpx examples against a live portal with a real
token. And the API's docs page serves its own copy of Swagger UI, with no inline script."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from gallery.models import Favorite, Generation
from tests.api_helpers import token_for
from tests.factories import GeneratedImageFactory, GenerationFactory, MembershipFactory, TeamFactory

pytestmark = [pytest.mark.restapi]

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(language: str) -> list[str]:
    found = [code for lang, code in BLOCK.findall(DOC.read_text()) if lang == language]
    # The block that sets the two variables for the reader: the test sets them itself.
    return [code for code in found if "export MKA1_STUDIO_" not in code]


@pytest.fixture
def studio(live_server, monkeypatch, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    membership = MembershipFactory(team=TeamFactory(name="Crew", slug="crew"))
    for prompt in ("a lighthouse in the fog", "a lighthouse at night"):
        GeneratedImageFactory(generation=GenerationFactory(user=membership.user, prompt=prompt))
    env = {"MKA1_STUDIO_URL": live_server.url, "MKA1_STUDIO_TOKEN": token_for(membership.user)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return env


def test_the_docs_have_curl_and_python_examples() -> None:
    assert len(blocks("sh")) >= 4
    assert len(blocks("python")) >= 3


@pytest.mark.django_db(transaction=True)
def test_the_curl_examples_run_against_the_portal(studio, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for code in blocks("sh"):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert result.returncode == 0, f"{code}\n{result.stdout}\n{result.stderr}"
        assert studio["MKA1_STUDIO_TOKEN"] not in result.stdout + result.stderr
    assert Generation.objects.filter(prompt="a lighthouse at dusk, oil painting", n=2).count() == 1
    assert len(list(tmp_path.glob("mka1-*.png"))) == 1


@pytest.mark.django_db(transaction=True)
def test_the_python_examples_run_against_the_portal(studio, tmp_path) -> None:  # type: ignore[no-untyped-def]
    namespace: dict[str, object] = {}
    for code in blocks("python"):
        exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102
    assert Generation.objects.filter(prompt="a lighthouse at dusk").count() == 1
    assert Favorite.objects.count() == 1
    assert len(list(tmp_path.glob("mka1-*.png"))) == 1


@pytest.mark.django_db
def test_the_docs_page_uses_swagger_ui_served_by_the_portal(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.text
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert sources and all(source.startswith("/static/ninja/") for source in sources)
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
    # Scripts are files: the only inline one is a JSON data block, which never runs.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attributes for attributes in inline)
    assert "cdn" not in html.lower() and "https://" not in html
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "MKA1 Studio API"
    assert "/api/v1/generations" in schema["paths"]
