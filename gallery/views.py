from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services, storage
from .forms import GenerationForm, SearchForm


def _new_generation_form(initial: dict[str, object] | None = None) -> GenerationForm:
    return GenerationForm(initial={**(initial or {}), "idempotency_key": uuid.uuid4()})


def _gallery(request: HttpRequest, form: GenerationForm, status: int = 200) -> HttpResponse:
    search = SearchForm(request.GET)
    search.is_valid()
    query = search.cleaned_data.get("q") or ""
    page = search.cleaned_data.get("page") or 1
    context = {
        "form": form,
        "search": search,
        "gallery": selectors.gallery_images(request.user, query=query, page=page),
        "pending": selectors.pending_generations(request.user),
        "failures": [] if query else selectors.recent_failures(request.user),
    }
    return render(request, "gallery/index.html", context, status=status)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _gallery(request, _new_generation_form())


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST)
    if not form.is_valid():
        return _gallery(request, form, status=400)
    generation = services.generation_submit(
        user=request.user,  # type: ignore[arg-type]  # login_required
        params=form.params(),
        idempotency_key=form.cleaned_data.get("idempotency_key"),
    )
    messages.success(request, f"Generation {generation.pk} is queued.")
    return redirect("gallery:index")


@login_required
@require_GET
def generation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    generation = selectors.get_generation_for_user(request.user, pk)
    context = {
        "generation": generation,
        "images": generation.images.all(),
        "missing": generation.missing_images.order_by("index"),
    }
    return render(request, "gallery/generation_detail.html", context)


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
    generation = services.generation_rerun(user=request.user, source=source)  # type: ignore[arg-type]
    messages.success(request, f"Generation {generation.pk} is queued with the same settings.")
    return redirect("gallery:index")


@login_required
@require_GET
def generation_status(request: HttpRequest) -> JsonResponse:
    ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.isdigit()]
    rows = selectors.generations_status(request.user, ids)
    return JsonResponse(
        {"generations": [{"id": g.pk, "status": g.status, "error": g.error_message} for g in rows]}
    )


@login_required
@require_GET
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    siblings = image.generation.images.exclude(pk=image.pk)
    return render(request, "gallery/image_detail.html", {"image": image, "siblings": siblings})


def _file_response(
    name: str, content_type: str, filename: str, *, attachment: bool
) -> HttpResponseBase:
    """Access was checked by the caller; stream the file or hand out a short-lived URL."""
    url = storage.temporary_url(
        name, content_type=content_type, filename=filename, attachment=attachment
    )
    if url:
        response: HttpResponseBase = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=attachment,
        filename=filename,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    image = selectors.get_image_for_user(request.user, pk)
    filename = f"mka1-{image.generation_id}-{image.index + 1}.{image.extension}"
    download = request.GET.get("download") == "1"
    return _file_response(image.file.name or "", image.content_type, filename, attachment=download)


@login_required
@require_GET
def image_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    image = selectors.get_image_for_user(request.user, pk)
    filename = f"mka1-{image.generation_id}-{image.index + 1}-thumb.webp"
    return _file_response(image.thumbnail.name or "", "image/webp", filename, attachment=False)


@login_required
@require_POST
def image_delete(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    services.image_delete(image=image)
    messages.success(request, "The image was deleted.")
    return redirect("gallery:index")
