"""The gallery grid, its search and filters, saved searches, and the trash."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_user

from .. import selectors, services
from ..forms import GalleryFilterForm, SavedSearchForm
from .helpers import render_gallery


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render_gallery(request)


@login_required
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    filter_form = GalleryFilterForm(request.GET)
    page = selectors.trash_page(request.user, filter_form.page_cursor())
    context = {"page": page, "retention_days": settings.TRASH_RETENTION_DAYS}
    return render(request, "gallery/trash.html", context)


@login_required
@require_POST
def trash_empty(request: HttpRequest) -> HttpResponse:
    deleted = services.trash_empty(user=current_user(request))
    messages.success(request, f"Deleted {deleted} image(s) for good.")
    return redirect("gallery:trash")


@login_required
@require_POST
def saved_search_create(request: HttpRequest) -> HttpResponse:
    form = SavedSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A saved search needs a name of at most 80 characters.")
        return redirect("gallery:index")
    saved = services.saved_search_save(
        user=current_user(request),
        name=form.cleaned_data["name"],
        query_string=form.cleaned_data["query_string"],
    )
    messages.success(request, f"Saved the search “{saved.name}”.")
    return redirect(f"/?{saved.query_string}")


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = selectors.get_saved_search_for_user(request.user, pk)
    services.saved_search_delete(saved_search=saved)
    messages.success(request, f"Removed the saved search “{saved.name}”.")
    return redirect("gallery:index")
