"""Submitting, following, canceling, re-running and remixing generations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_team

from .. import selectors, services
from ..forms import GenerationForm
from ..quotas import QuotaExceeded
from .browse import new_generation_form, render_gallery
from .common import current_user


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST)
    if not form.is_valid():
        return render_gallery(request, form, status=400)
    source_id = form.cleaned_data.get("remixed_from")
    source = (
        selectors.visible_images(request.user).filter(pk=source_id).first() if source_id else None
    )
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
    except QuotaExceeded as exceeded:
        form.add_error(None, exceeded.message)
        return render_gallery(request, form, status=400)
    messages.success(request, f"Generation {generation.pk} is queued.")
    return redirect("gallery:index")


@login_required
@require_GET
def generation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    generation = selectors.get_generation_for_user(request.user, pk)
    context = {
        "generation": generation,
        "images": generation.images.filter(deleted_at__isnull=True),
        "missing": generation.missing_images.order_by("index"),
    }
    return render(request, "gallery/generation_detail.html", context)


@login_required
@require_GET
def generation_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A pending card, polled until it can be replaced by its images or its error."""
    generation = selectors.get_generation_for_user(request.user, pk)
    images = (
        []
        if generation.is_pending
        else list(selectors.with_card_fields(generation.images.filter(deleted_at__isnull=True)))
    )
    context = {"generation": generation, "images": images}
    return render(request, "gallery/_generation_result.html", context)


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
    except QuotaExceeded as exceeded:
        messages.error(request, exceeded.message)
        return redirect("gallery:generation", pk=pk)
    messages.success(request, f"Generation {generation.pk} is queued with the same settings.")
    return redirect("gallery:index")


@login_required
@require_GET
def generation_remix(request: HttpRequest, pk: int) -> HttpResponse:
    """The form prefilled with a generation's parameters, to edit and submit."""
    source = selectors.get_generation_for_user(request.user, pk)
    initial = services.GenerationParams.of(source).__dict__
    context = {"form": new_generation_form(initial), "source": source}
    return render(request, "gallery/remix.html", context)


@login_required
@require_GET
def generation_status(request: HttpRequest) -> JsonResponse:
    ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.isdigit()]
    rows = selectors.generations_status(request.user, ids)
    return JsonResponse(
        {"generations": [{"id": g.pk, "status": g.status, "error": g.error_message} for g in rows]}
    )
