"""Serving stored files: their own content type and nosniff, streamed or handed to nginx."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from gallery import services
from gallery.models import Export, GeneratedImage
from tests.factories import GeneratedImageFactory, GenerationFactory, TeamFactory, UserFactory
from tests.team_world import share
from tests.test_moderation_views import make_moderator

pytestmark = [pytest.mark.security, pytest.mark.django_db]

PREFIX = "/protected-media/"


@pytest.fixture
def owner() -> User:
    return UserFactory(username="owner")


@pytest.fixture
def png(owner: User) -> GeneratedImage:
    return GeneratedImageFactory(generation=GenerationFactory(user=owner))


@pytest.fixture
def jpeg(owner: User) -> GeneratedImage:
    return GeneratedImageFactory(
        generation=GenerationFactory(user=owner), content_type="image/jpeg", file__format="JPEG"
    )


@pytest.fixture
def export(owner: User, png: GeneratedImage) -> Export:
    export = Export.objects.create(user=owner, image_ids=[png.pk])
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.READY
    return export


def logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def file_urls(png: GeneratedImage, jpeg: GeneratedImage, export: Export) -> list[tuple[str, str]]:
    """Each file view of the owner's, and the content type its answer must have."""
    return [
        (reverse("gallery:image-file", args=[png.pk]), "image/png"),
        (reverse("gallery:image-file", args=[png.pk]) + "?download=1", "image/png"),
        (reverse("gallery:image-file", args=[jpeg.pk]), "image/jpeg"),
        (reverse("gallery:image-thumbnail", args=[png.pk]), "image/webp"),
        (reverse("gallery:export-download", args=[export.pk]), "application/zip"),
    ]


def test_served_files_carry_their_content_type_and_nosniff(
    settings,  # type: ignore[no-untyped-def]
    owner: User,
    png: GeneratedImage,
    jpeg: GeneratedImage,
    export: Export,
) -> None:
    # Files say nosniff themselves, whatever the site-wide setting.
    settings.SECURE_CONTENT_TYPE_NOSNIFF = False
    client = logged_in(owner)
    for url, content_type in file_urls(png, jpeg, export):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == content_type, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert b"".join(response.streaming_content), url
    with png.file.open("rb") as original:
        streamed = client.get(reverse("gallery:image-file", args=[png.pk]))
        assert b"".join(streamed.streaming_content) == original.read()


def test_a_moderator_s_view_of_a_shared_image_carries_its_type_and_nosniff(
    png: GeneratedImage,
) -> None:
    share(png, TeamFactory())
    moderator = logged_in(make_moderator())
    for view, content_type in (("image-file", "image/png"), ("image-thumbnail", "image/webp")):
        response = moderator.get(reverse(f"moderation:{view}", args=[png.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"


def test_behind_nginx_the_owner_gets_an_internal_redirect_and_no_bytes(
    settings,  # type: ignore[no-untyped-def]
    owner: User,
    png: GeneratedImage,
    jpeg: GeneratedImage,
    export: Export,
) -> None:
    client = logged_in(owner)
    streamed = {url: client.get(url) for url, _ in file_urls(png, jpeg, export)}
    settings.FILES_ACCEL_REDIRECT_PREFIX = PREFIX
    internal_paths = {
        reverse("gallery:image-file", args=[png.pk]): png.file.name,
        reverse("gallery:image-file", args=[png.pk]) + "?download=1": png.file.name,
        reverse("gallery:image-file", args=[jpeg.pk]): jpeg.file.name,
        reverse("gallery:image-thumbnail", args=[png.pk]): png.thumbnail.name,
        reverse("gallery:export-download", args=[export.pk]): export.file.name,
    }

    for url, content_type in file_urls(png, jpeg, export):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Accel-Redirect"] == PREFIX + internal_paths[url], url
        assert response.content == b"", url
        assert response["Content-Type"] == content_type, url
        # nginx keeps these from this answer: the same as when the web process streams.
        for header in ("Content-Disposition", "Cache-Control"):
            assert response[header] == streamed[url][header], (url, header)
        assert response["X-Content-Type-Options"] == "nosniff", url


def test_behind_nginx_others_are_still_refused_before_any_handoff(
    settings,  # type: ignore[no-untyped-def]
    owner: User,
    png: GeneratedImage,
    jpeg: GeneratedImage,
    export: Export,
) -> None:
    settings.FILES_ACCEL_REDIRECT_PREFIX = PREFIX
    outsider = UserFactory(username="outsider")
    for url, _ in file_urls(png, jpeg, export):
        refused = logged_in(outsider).get(url)
        assert refused.status_code == 404, url
        assert "X-Accel-Redirect" not in refused, url
        anonymous = logged_in(None).get(url)
        assert anonymous.status_code == 302, url
        assert anonymous["Location"].startswith(reverse("login")), url
        assert "X-Accel-Redirect" not in anonymous, url


def test_the_documented_nginx_location_adds_the_headers_the_portal_sends(
    owner: User, png: GeneratedImage
) -> None:
    """nginx drops Django's security headers on the internal redirect; docs/deploy.md's
    location adds the same ones, and this keeps the two in step."""
    deploy = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
    location = re.search(r"location /protected-media/ \{(.*?)\n    \}", deploy, re.DOTALL)
    assert location is not None
    added = dict(re.findall(r'add_header ([\w-]+) "([^"]*)" always;', location.group(1)))
    response = logged_in(owner).get(reverse("gallery:image-file", args=[png.pk]))

    def directives(policy: str) -> set[str]:
        return {" ".join(part.split()) for part in policy.split(";") if part.strip()}

    assert directives(added["Content-Security-Policy"]) == directives(
        response["Content-Security-Policy"]
    )
    for header in (
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Frame-Options",
    ):
        assert added[header] == response[header], header
    assert added["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
