"""A team's shared library: what members chose to show their team."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import current_team

from .. import selectors, services
from ..forms import GalleryFilterForm
from .browse import new_generation_form
from .common import gallery_query


def _library_image(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    """An image shared with a team the user is in now; 404 for anyone else."""
    image = selectors.get_visible_image(request.user, pk)
    if image.shared_team_id is None and image.user_id != request.user.pk:
        raise Http404("No such image.")
    return image


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    team = current_team(request)
    filter_form = GalleryFilterForm(request.GET)
    filters = filter_form.filters()
    context: dict[str, object] = {"team": team, "filter_form": filter_form, "filters": filters,
               "query": gallery_query(request), "form": new_generation_form()}  # fmt: skip
    if team is not None:
        scope = selectors.Scope.library(team.pk)
        context["page"] = selectors.gallery_page(
            request.user, scope, filters, filter_form.page_cursor()
        )
    return render(request, "gallery/library.html", context)


@login_required
@require_GET
def library_image(request: HttpRequest, pk: int) -> HttpResponse:
    image = _library_image(request, pk)
    context = {
        "image": image,
        "is_favorite": image.favorites.filter(user_id=request.user.pk).exists(),
        "query": gallery_query(request),
    }
    return render(request, "gallery/library_image.html", context)


@login_required
@require_GET
def library_remix(request: HttpRequest, pk: int) -> HttpResponse:
    """The form prefilled from a shared image; the result is the teammate's own generation."""
    image = _library_image(request, pk)
    initial = {**services.GenerationParams.of(image.generation).__dict__, "remixed_from": image.pk}
    context = {"form": new_generation_form(initial), "source": image.generation, "image": image}
    return render(request, "gallery/remix.html", context)
