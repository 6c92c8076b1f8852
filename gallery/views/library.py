"""A team's shared library: what members chose to show their team."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import current_team

from .. import selectors
from ..forms import GalleryFilterForm
from ..values import GenerationParams, Scope
from .helpers import gallery_query, new_generation_form


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    team = current_team(request)
    filter_form = GalleryFilterForm(request.GET)
    filters = filter_form.filters()
    context: dict[str, object] = {"team": team, "filter_form": filter_form, "filters": filters,
               "query": gallery_query(request), "form": new_generation_form()}  # fmt: skip
    if team is not None:
        scope = Scope.library(team.pk)
        context["page"] = selectors.gallery_page(
            request.user, scope, filters, filter_form.page_cursor()
        )
    return render(request, "gallery/library.html", context)


@login_required
@require_GET
def library_image(request: HttpRequest, pk: int) -> HttpResponse:
    image, is_favorite = selectors.library_image_detail(request.user, pk)
    context = {"image": image, "is_favorite": is_favorite, "query": gallery_query(request)}
    return render(request, "gallery/library_image.html", context)


@login_required
@require_GET
def library_remix(request: HttpRequest, pk: int) -> HttpResponse:
    """The form prefilled from a shared image; the result is the teammate's own generation."""
    image = selectors.get_library_image(request.user, pk)
    initial = {**GenerationParams.of(image.generation).as_dict(), "remixed_from": image.pk}
    context = {"form": new_generation_form(initial), "source": image.generation, "image": image}
    return render(request, "gallery/remix.html", context)
