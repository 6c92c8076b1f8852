"""Serving stored files once access was checked: streamed, handed to nginx, or a short-lived
storage URL."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from . import storage


def file_response(
    name: str, content_type: str, filename: str, *, attachment: bool
) -> HttpResponseBase:
    """The caller has checked access; stream the file, hand it to nginx (X-Accel-Redirect) or
    hand out a short-lived URL."""
    url = storage.temporary_url(
        name, content_type=content_type, filename=filename, attachment=attachment
    )
    if url:
        response: HttpResponseBase = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    internal_path = storage.accel_redirect_path(name)
    if internal_path:
        # nginx sends the bytes and keeps this response's type, disposition and caching.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = internal_path
        response["Content-Disposition"] = content_disposition_header(attachment, filename) or ""
    else:
        response = FileResponse(
            default_storage.open(name, "rb"),
            content_type=content_type,
            as_attachment=attachment,
            filename=filename,
        )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def image_original_response(image: Any, *, attachment: bool) -> HttpResponseBase:
    """An image's original under a name that says which generation it came from."""
    filename = f"mka1-{image.generation_id}-{image.index + 1}.{image.extension}"
    return file_response(image.file.name or "", image.content_type, filename, attachment=attachment)


def image_thumbnail_response(image: Any) -> HttpResponseBase:
    filename = f"mka1-{image.generation_id}-{image.index + 1}-thumb.webp"
    return file_response(image.thumbnail.name or "", "image/webp", filename, attachment=False)
