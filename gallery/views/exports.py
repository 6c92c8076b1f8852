"""Zip exports: start one, follow its progress, download it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_user

from .. import selectors, services
from ..files import file_response
from ..forms import ExportSearchForm, GalleryFilterForm
from .helpers import gallery_query


@login_required
@require_POST
def export_search(request: HttpRequest) -> HttpResponse:
    """Export every image the current search and filters match."""
    form = ExportSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That search cannot be exported; search again and export.")
        return redirect("gallery:index")
    query = form.cleaned_data["query_string"]
    filters = GalleryFilterForm.from_query_string(query).filters()
    try:
        export = services.export_start(
            user=current_user(request), image_ids=[], filters=filters, query_string=query
        )
    except services.ExportRefused as refused:
        # Back to the same search, with the reason; nothing the user chose is lost.
        messages.error(request, refused.message)
        search = urlencode(parse_qsl(query))
        return redirect(f"{reverse('gallery:index')}?{search}" if search else "gallery:index")
    return redirect("gallery:export", pk=export.pk)


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = selectors.get_export_for_user(request.user, pk)
    template = "gallery/_export_status.html" if request.htmx else "gallery/export.html"  # type: ignore[attr-defined]
    return render(request, template, {"export": export, "query": gallery_query(request)})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    export = selectors.get_export_for_user(request.user, pk)
    if export.status != export.Status.READY or not export.file:
        raise Http404("This export is not ready.")
    filename = f"mka1-export-{export.pk}.zip"
    return file_response(export.file.name or "", "application/zip", filename, attachment=True)
