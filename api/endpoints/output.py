"""Model rows as the API's JSON: the fields a client reads, and links back into the API."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from gallery.models import GeneratedImage, Generation, MissingImage
from gallery.selectors import Allowance

NAMESPACE = "api-v1"
# An id no row has, replaced in the reversed path: each name is reversed once.
_SENTINEL = 987654321987


@cache
def _path_pattern(name: str, param: str) -> str:
    return reverse(f"{NAMESPACE}:{name}", kwargs={param: _SENTINEL})


def api_url(request: HttpRequest, name: str, param: str, pk: int) -> str:
    path = _path_pattern(name, param).replace(str(_SENTINEL), str(pk), 1)
    return request.build_absolute_uri(path)


def allowance_out(allowance: Allowance) -> dict[str, Any]:
    return {
        "limit": allowance.limit,
        "used": allowance.used,
        "remaining": allowance.remaining,
        "resets_at": allowance.resets_at,
    }


def image_out(
    request: HttpRequest,
    image: GeneratedImage,
    *,
    prompt: str,
    owner: str,
    starred: bool,
) -> dict[str, Any]:
    return {
        "id": image.pk,
        "generation_id": image.generation_id,
        "index": image.index,
        "owner": owner,
        "prompt": prompt,
        "revised_prompt": image.revised_prompt,
        "model": image.model,
        "size": image.size,
        "quality": image.quality,
        "style": image.style,
        "width": image.width,
        "height": image.height,
        "content_type": image.content_type,
        "byte_size": image.byte_size,
        "created_at": image.created_at,
        "starred": starred,
        "shared_team_id": image.shared_team_id,
        "hidden": image.hidden_at is not None,
        "trashed": image.deleted_at is not None,
        "url": api_url(request, "image", "image_id", image.pk),
        "download_url": api_url(request, "image-download", "image_id", image.pk),
    }


def generation_out(request: HttpRequest, generation: Generation) -> dict[str, Any]:
    error = None
    if generation.error_kind or generation.error_message:
        error = {"kind": generation.error_kind, "message": generation.error_message}
    return {
        "id": generation.pk,
        "status": generation.status,
        "prompt": generation.prompt,
        "model": generation.model,
        "n": generation.n,
        "size": generation.size,
        "quality": generation.quality,
        "style": generation.style,
        "response_format": generation.response_format,
        "team_id": generation.team_id,
        "remixed_from": generation.remixed_from_id,
        "created_at": generation.created_at,
        "finished_at": generation.finished_at,
        "error": error,
        "url": api_url(request, "generation", "generation_id", generation.pk),
    }


def missing_out(missing: MissingImage) -> dict[str, Any]:
    return {"index": missing.index, "kind": missing.error_kind, "reason": missing.reason}
