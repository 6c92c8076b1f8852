from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def current_user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def gallery_query(
    request: HttpRequest,
    *,
    drop: tuple[str, ...] = ("cursor",),
    replace: dict[str, str] | None = None,
) -> str:
    """The gallery's filters as a query string, without the page cursor."""
    pairs = {key: value for key, value in request.GET.items() if key not in drop and value}
    return urlencode({**pairs, **(replace or {})})


def local_url(url: str | None, default: str = "/") -> str:
    """A path on this site to go back to; anything else (another host, a scheme) is the default."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return default
