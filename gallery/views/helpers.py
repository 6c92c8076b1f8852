"""What the gallery's views share: the gallery's query string, the generation form, and the
gallery page re-rendered with a form's errors. The one module views import from."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import selectors
from ..forms import GalleryFilterForm, GenerationForm
from ..values import Scope


def gallery_query(
    request: HttpRequest,
    *,
    drop: tuple[str, ...] = ("cursor",),
    replace: dict[str, str] | None = None,
) -> str:
    """The gallery's filters as a query string, without the page cursor."""
    pairs = {key: value for key, value in request.GET.items() if key not in drop and value}
    return urlencode({**pairs, **(replace or {})})


def new_generation_form(initial: dict[str, object] | None = None) -> GenerationForm:
    return GenerationForm(initial={**(initial or {}), "idempotency_key": uuid.uuid4()})


def render_gallery(
    request: HttpRequest, form: GenerationForm | None = None, status: int = 200
) -> HttpResponse:
    """The gallery page for the request's filters, with this generation form (and its errors)."""
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
        page = selectors.gallery_page(request.user, Scope.own(request.user), filters, cursor)
        context["page"] = page
        if page.corrected_query:
            # Links from this page (the next page, the images, the export) follow what it shows.
            context["query"] = gallery_query(request, replace={"q": page.corrected_query})
    return render(request, "gallery/index.html", context, status=status)
