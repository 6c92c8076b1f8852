"""Suspended accounts: the next request after a suspension logs the user out."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .selectors import suspension_of

# The JSON API authenticates by token alone and answers a suspended account itself (a 403 in
# its own error shape): a session cookie sent along is not its business, nor this one's there.
API_PATH_PREFIX = "/api/"


class SuspensionMiddleware:
    """After AuthenticationMiddleware. The profile was read with the user (ProfileBackend), so
    the check adds no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        reason = suspension_of(request.user)
        if reason is not None:
            logout(request)
            # Messages live in a cookie first, so this one outlives the session just ended.
            messages.error(request, f"Your account is suspended: {reason}")
            query = urlencode({"suspended": "1"})
            return HttpResponseRedirect(f"{reverse('login')}?{query}")
        return self.get_response(request)
