"""The gallery grid, its search and filters, saved searches, and the trash."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..forms import GalleryFilterForm, GenerationForm, SavedSearchForm
from ..models import SavedSearch
from .common import current_user, gallery_query


def new_generation_form(initial: dict[str, object] | None = None) -> GenerationForm:
    return GenerationForm(initial={**(initial or {}), "idempotency_key": uuid.uuid4()})


def render_gallery(
    request: HttpRequest, form: GenerationForm | None = None, status: int = 200
) -> HttpResponse:
    filter_form = GalleryFilterForm(request.GET)
    filters = filter_form.filters()
    cursor = filter_form.page_cursor()
    for problem in filter_form.problems():
        messages.warning(request, f"Ignored {problem}")
    if filter_form.bad_cursor():
        messages.warning(request, "That page link is not valid any more; here is the first page.")
    first_page = cursor is None and not filters.q and not filters.lists_generations
    pending, failures = selectors.recent_generations(request.user) if first_page else ([], [])
    context = {
        "form": form or new_generation_form(),
        "filter_form": filter_form,
        "filters": filters,
        "query": gallery_query(request),
        "saved_searches": selectors.saved_searches(request.user),
        "pending": pending,
        "failures": failures,
    }
    if filters.lists_generations:
        context["generations"] = selectors.generation_page(request.user, filters, cursor)
    else:
        scope = selectors.Scope.own(request.user)
        page = selectors.gallery_page(request.user, scope, filters, cursor)
        context["page"] = page
        if page.corrected_query:
            # Links from this page (the next page, the images, the export) follow what it shows.
            context["query"] = gallery_query(request, replace={"q": page.corrected_query})
    return render(request, "gallery/index.html", context, status=status)


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
    saved = get_object_or_404(SavedSearch, pk=pk, user=current_user(request))
    saved.delete()
    messages.success(request, f"Removed the saved search “{saved.name}”.")
    return redirect("gallery:index")
