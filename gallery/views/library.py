"""A team's shared library: what members chose to show their team."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_team, current_user

from .. import selectors, services
from ..forms import GalleryFilterForm, LibraryRemoveForm
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
    detail = selectors.library_image_detail(request.user, pk)
    context = {
        "image": detail.image,
        "is_favorite": detail.is_favorite,
        "can_remove": detail.can_remove,
        "remove_form": LibraryRemoveForm(),
        "query": gallery_query(request),
    }
    return render(request, "gallery/library_image.html", context)


@login_required
@require_POST
def library_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """A team admin takes a teammate's image out of the library, with a reason."""
    image = selectors.get_library_image_for_admin(request.user, pk)
    form = LibraryRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the image leaves the library (at most 1,000 characters).")
        return redirect("gallery:library-image", pk=pk)
    services.library_image_remove(
        admin=current_user(request), image=image, reason=form.cleaned_data["reason"]
    )
    messages.success(request, "The image was taken out of the library.")
    return redirect("gallery:library")


@login_required
@require_GET
def library_remix(request: HttpRequest, pk: int) -> HttpResponse:
    """The form prefilled from a shared image; the result is the teammate's own generation."""
    image = selectors.get_library_image(request.user, pk)
    initial = {**GenerationParams.of(image.generation).as_dict(), "remixed_from": image.pk}
    context = {"form": new_generation_form(initial), "source": image.generation, "image": image}
    return render(request, "gallery/remix.html", context)
