"""Submitting, following, canceling, re-running and remixing generations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_team, current_user

from .. import selectors, services
from ..forms import GenerationForm
from ..values import GenerationParams
from .helpers import new_generation_form, render_gallery


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST)
    if not form.is_valid():
        return render_gallery(request, form, status=400)
    source_id = form.cleaned_data.get("remixed_from")
    source = selectors.remix_source(request.user, source_id) if source_id else None
    if source_id and source is None:
        # Unshared, trashed or never visible: say so; the form shown again goes without it.
        data = request.POST.copy()
        data["remixed_from"] = ""
        form = GenerationForm(data)
        form.is_valid()
        form.add_error(None, "The image to remix is not available to you; nothing was submitted.")
        return render_gallery(request, form, status=400)
    try:
        generation = services.generation_submit(
            user=current_user(request),
            params=form.params(),
            idempotency_key=form.cleaned_data.get("idempotency_key"),
            team=current_team(request),
            remixed_from=source,
        )
    except services.SubmissionRefused as exceeded:
        form.add_error(None, exceeded.message)
        return render_gallery(request, form, status=400)
    messages.success(request, f"Generation {generation.pk} is queued.")
    return redirect("gallery:index")


@login_required
@require_GET
def generation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.generation_detail(request.user, pk)
    context = {
        "generation": detail.generation,
        "images": detail.images,
        "missing": detail.missing,
    }
    return render(request, "gallery/generation_detail.html", context)


@login_required
@require_GET
def generation_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A pending card, polled until it can be replaced by its images or its error. Once the
    generation has ended, the answer tells the page so (the generation's own page then shows
    its ending in full)."""
    generation, images = selectors.generation_card(request.user, pk)
    context = {"generation": generation, "images": images}
    response = render(request, "gallery/_generation_result.html", context)
    if not generation.is_pending:
        response["HX-Trigger"] = "generation-ended"
    return response


@login_required
@require_POST
def generation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    generation = selectors.get_generation_for_user(request.user, pk)
    if services.generation_cancel(generation=generation):
        messages.success(request, "The generation was canceled.")
    else:
        messages.error(request, "Only a queued generation can be canceled.")
    return redirect("gallery:generation", pk=pk)


@login_required
@require_POST
def generation_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    source = selectors.get_generation_for_user(request.user, pk)
    try:
        generation = services.generation_rerun(
            user=current_user(request), source=source, team=current_team(request)
        )
    except services.SubmissionRefused as exceeded:
        messages.error(request, exceeded.message)
        return redirect("gallery:generation", pk=pk)
    messages.success(request, f"Generation {generation.pk} is queued with the same settings.")
    return redirect("gallery:index")


@login_required
@require_GET
def generation_remix(request: HttpRequest, pk: int) -> HttpResponse:
    """The form prefilled with a generation's parameters, to edit and submit."""
    source = selectors.get_generation_for_user(request.user, pk)
    initial = GenerationParams.of(source).as_dict()
    context = {"form": new_generation_form(initial), "source": source}
    return render(request, "gallery/remix.html", context)
