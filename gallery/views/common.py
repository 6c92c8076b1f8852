from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import HttpRequest


def current_user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def gallery_query(request: HttpRequest, *, drop: tuple[str, ...] = ("cursor",)) -> str:
    """The gallery's filters as a query string, without the page cursor."""
    return urlencode(
        [(key, value) for key, value in request.GET.items() if key not in drop and value]
    )
