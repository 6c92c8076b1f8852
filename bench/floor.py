"""The benchmarks' floors: the least a logged-in page can cost on this machine, in this run.

Mounted only by `bench.urls`, the URLconf of `bench.settings` (the benchmarks' settings); the
portal never routes here. A page's time divided by the floor's, both measured in turns in the
same run, holds on a machine three times slower or faster, where an absolute target does not.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.template import engines

from gallery.models import GeneratedImage

# A minimal page: a title and one thumbnail link per image, nothing else.
BARE_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>{{ user.username }}</title><ul>"
    '{% for image in images %}<li><a href="/images/{{ image.pk }}/">'
    '<img src="/images/{{ image.pk }}/thumbnail.webp" alt=""></a></li>{% endfor %}</ul>'
)


@login_required
def bare_page(request: HttpRequest) -> HttpResponse:
    """Session, user, one indexed query of 48 of the user's images, a minimal template."""
    owner = cast(User, request.user)
    images = GeneratedImage.objects.alive().filter(user=owner).order_by("-created_at", "-id")
    context = {"user": request.user, "images": images[:48]}
    return HttpResponse(BARE_TEMPLATE.render(context, request))
