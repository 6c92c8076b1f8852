"""Serving stored files once access was checked: streamed, or a short-lived storage URL."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase

from . import storage


def file_response(
    name: str, content_type: str, filename: str, *, attachment: bool
) -> HttpResponseBase:
    """The caller has checked access; stream the file or hand out a short-lived URL."""
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
