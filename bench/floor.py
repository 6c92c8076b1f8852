"""The benchmarks' floors: the least a logged-in page can cost on this machine, in this run.

Mounted only by `bench.urls`, the URLconf of `bench.settings` (the benchmarks' settings); the
portal never routes here. A page's time divided by the floor's, both measured in turns in the
same run, holds on a machine three times slower or faster, where an absolute target does not.
"""

from __future__ import annotations

import json
import uuid
from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from api.selectors import token_for
from gallery.models import GeneratedImage, Generation
from gallery.services import enqueue_generation
from gallery.values import GenerationParams

# A minimal page: a title and one thumbnail link per image, nothing else.
BARE_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>{{ user.username }}</title><ul>"
    '{% for image in images %}<li><a href="/images/{{ image.pk }}/">'
    '<img src="/images/{{ image.pk }}/thumbnail.webp" alt=""></a></li>{% endfor %}</ul>'
)


@login_required
def bare_page(request: HttpRequest) -> HttpResponse:
    """Session, user, one indexed query of 48 of the user's images, a minimal template.

    Rendered as every page of the portal is, with the request: the context processors that
    every page runs (the header's teams and moderator check) are part of the floor."""
    owner = cast(User, request.user)
    images = GeneratedImage.objects.alive().filter(user=owner).order_by("-created_at", "-id")
    context = {"user": request.user, "images": images[:48]}
    return HttpResponse(BARE_TEMPLATE.render(context, request))


@csrf_exempt
@require_POST
def bare_submit(request: HttpRequest) -> HttpResponse:
    """The least a submission through the JSON API can cost: the token looked up by its
    digest, the generation's row inserted, its message published. No validation, quota,
    idempotency or framework."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = token_for(token) if scheme == "Bearer" else None
    if found is None:
        return JsonResponse({"error": {"code": "invalid_token"}}, status=401)
    body = json.loads(request.body)
    params = GenerationParams(
        prompt=body["prompt"],
        model=settings.MKA1_MODELS[0],
        n=1,
        size=body.get("size", "1024x1024"),
        quality="standard",
        style="vivid",
        response_format="url",
    )
    generation = Generation.objects.create(
        user=found.user, idempotency_key=uuid.uuid4(), **params.as_dict()
    )
    enqueue_generation(generation.pk)
    return JsonResponse({"id": generation.pk}, status=201)
