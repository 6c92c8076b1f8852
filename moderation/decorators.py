"""Who may open the moderation pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .selectors import is_moderator

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def moderator_required(view: View) -> View:
    """Anonymous visitors go to the login page; a user without moderation.moderate gets a 404
    (the pages do not exist for them); a moderator's request is marked, so the header does not
    ask again."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_moderator(request.user):
            raise Http404("No such page.")
        request.is_moderator = True  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return login_required(checked)  # type: ignore[return-value]
