"""The API tokens page: make a named token (shown once), list them, revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import current_user

from . import selectors, services
from .forms import TokenCreateForm


def _render_tokens(
    request: HttpRequest, form: TokenCreateForm, new_token: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    tokens = [(token, token.state_at(now)) for token in selectors.tokens_of(request.user)]
    context = {"form": form, "tokens": tokens, "new_token": new_token}
    return render(request, "api/tokens.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_tokens(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_tokens(request, form, status=400)
    token, secret = services.token_create(
        user=current_user(request), name=form.cleaned_data["name"], expires_at=form.expires_at()
    )
    messages.success(
        request, f"Token “{token.name}” was created. Copy it now: it is not shown again."
    )
    # Shown in this answer only: nothing keeps it, so a reload or the back button cannot.
    return _render_tokens(request, TokenCreateForm(), new_token=secret)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.get_token_for_user(request.user, pk)
    if services.token_revoke(user=current_user(request), token=token):
        messages.success(request, f"Token “{token.name}” was revoked; it no longer works.")
    else:
        messages.info(request, f"Token “{token.name}” was revoked already.")
    return redirect("api:tokens")
