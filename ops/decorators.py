"""Who may open the operators' pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def staff_required(view: View) -> View:
    """Anonymous visitors go to the login page; a user who is not staff gets a 404, as the
    moderation pages answer those who are not moderators."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (user.is_active and (user.is_staff or user.is_superuser)):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return login_required(checked)  # type: ignore[return-value]
