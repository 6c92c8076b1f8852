"""The settings' safe defaults, proved on real processes started with a given environment: the
secret key, `check --deploy` with the README's production values, the proxy header, the CSP."""

from __future__ import annotations

import re
import secrets
import stat
import threading
from pathlib import Path

import pytest
from django.urls import reverse

from mka1web import secret_key
from tests.conftest import run_django
from tests.factories import UserFactory

pytestmark = pytest.mark.security

PROJECT_DIR = Path(__file__).resolve().parent.parent
OLD_CONSTANT = "django-insecure-local-development-only"


def good_key() -> str:
    return secrets.token_urlsafe(50)


def run_shell(code: str, **env: str) -> str:
    result = run_django("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def readme_production_environment() -> dict[str, str]:
    """The variables the README documents for production, read from its own block."""
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme.split("### Production environment", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block is not None, "README.md: no production environment block"
    lines = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


# -- The secret key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "reason"),
    [(OLD_CONSTANT, "it is a published development key"), ("", "it is empty")],
    ids=["old-constant", "empty"],
)
def test_a_production_process_refuses_to_start_with_a_known_or_empty_key(
    key: str, reason: str
) -> None:
    result = run_django("check", DEBUG="false", SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY cannot be used with DEBUG=false" in result.stderr
    assert reason in result.stderr


def test_weak_keys_are_refused_by_django_s_own_rules() -> None:
    key = good_key()
    assert secret_key.weakness(key) is None
    assert "django-insecure-" in (secret_key.weakness("django-insecure-" + key) or "")
    assert "shorter than 50" in (secret_key.weakness(key[:49]) or "")
    assert "fewer than 5 different" in (secret_key.weakness("abcd" * 20) or "")


def test_a_production_process_starts_with_a_good_key() -> None:
    result = run_django("check", DEBUG="false", SECRET_KEY=good_key())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_debug_process_starts_with_a_development_key() -> None:
    result = run_django("check", DEBUG="true", SECRET_KEY=OLD_CONSTANT)
    assert result.returncode == 0, result.stderr


def test_without_secret_key_every_process_uses_one_random_key_from_the_file(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "var" / "secret_key"
    print_key = "from django.conf import settings; print(settings.SECRET_KEY)"

    first = run_shell(print_key, DEBUG="false", SECRET_KEY_FILE=str(key_file))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first
    assert secret_key.weakness(first) is None
    assert first != OLD_CONSTANT
    # A second process (another gunicorn worker, the Celery worker) reads the same one.
    assert run_shell(print_key, DEBUG="false", SECRET_KEY_FILE=str(key_file)) == first


def test_a_weak_key_in_the_file_stops_a_production_process(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("short\n")
    result = run_django("check", DEBUG="false", SECRET_KEY_FILE=str(key_file))
    assert result.returncode != 0
    assert "it is shorter than 50 characters" in result.stderr


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    start = threading.Barrier(8)
    keys: list[str] = []

    def read() -> None:
        start.wait()
        keys.append(secret_key.read_or_create(key_file))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret_key"]


# -- check --deploy with the documented production values --------------------------------------


def test_check_deploy_with_the_readme_production_values_reports_nothing() -> None:
    production = readme_production_environment()
    assert production["SECRET_KEY"].startswith("<"), "the README must not publish a real key"
    assert production["DEBUG"] == "false"
    production["SECRET_KEY"] = good_key()

    result = run_django("check", "--deploy", **production)

    print(f"$ manage.py check --deploy\n{result.stdout}{result.stderr}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr and "?: (" not in result.stderr


def test_check_deploy_warns_without_the_production_values() -> None:
    """The check the previous test relies on does look: the local defaults are not enough."""
    result = run_django("check", "--deploy", DEBUG="false", SECRET_KEY=good_key())
    assert result.returncode == 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


# -- The proxy's header ---------------------------------------------------------------------

IS_SECURE = (
    "from django.test import RequestFactory; "
    "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
)


def test_x_forwarded_proto_is_ignored_unless_a_proxy_is_declared() -> None:
    assert run_shell(IS_SECURE, DEBUG="true") == "False"


def test_x_forwarded_proto_makes_a_request_secure_behind_a_declared_proxy() -> None:
    assert run_shell(IS_SECURE, DEBUG="true", TRUST_PROXY_HEADERS="true") == "True"


# -- The Content-Security-Policy ------------------------------------------------------------

POLICY_HEADER = (
    "from csp.middleware import CSPMiddleware; from django.http import HttpResponse; "
    "from django.test import RequestFactory; "
    "response = CSPMiddleware(lambda request: HttpResponse())(RequestFactory().get('/')); "
    "print(response['Content-Security-Policy'])"
)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.django_db
def test_every_page_carries_a_strict_policy(client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory())
    for response in (client.get(reverse("gallery:index")), client.get(reverse("admin:login"))):
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["img-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert "unsafe" not in response["Content-Security-Policy"]


def test_the_policy_lets_images_come_from_the_s3_endpoint() -> None:
    header = run_shell(
        POLICY_HEADER,
        DEBUG="true",
        S3_BUCKET="mka1-images",
        S3_ENDPOINT_URL="https://objects.example.net:9000/",
    )
    assert directives(header)["img-src"] == ["'self'", "https://objects.example.net:9000"]
    assert directives(header)["script-src"] == ["'self'"]


def test_the_policy_lets_images_come_from_the_aws_bucket() -> None:
    header = run_shell(POLICY_HEADER, DEBUG="true", S3_BUCKET="mka1-images", S3_REGION="eu-west-3")
    assert directives(header)["img-src"] == [
        "'self'",
        "https://mka1-images.s3.amazonaws.com",
        "https://mka1-images.s3.eu-west-3.amazonaws.com",
    ]


def test_without_s3_images_come_only_from_the_portal() -> None:
    assert directives(run_shell(POLICY_HEADER, DEBUG="true"))["img-src"] == ["'self'"]
