"""The JSON API, /api/v1/: django-ninja, authenticated by personal API tokens only."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Swagger
from ninja.operation import Operation

from . import errors, generations, images, me
from .auth import TokenAuth

DESCRIPTION = """The portal's own JSON API: submit generations, follow them, and find, download
and organise your images and your team's library. Authenticate with a personal API token from
the portal's *API tokens* page: `Authorization: Bearer mka1_...`.

Every error has one shape: `{"error": {"code": "...", "message": "...", "field": null}}`."""


class StudioAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view's name (generation_submit), not its module path."""
        return str(operation.view_func.__name__)


api = StudioAPI(
    title="MKA1 Studio API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api-v1",
    # Swagger UI from the files django-ninja ships, served by the portal: no CDN.
    docs=Swagger(settings={"persistAuthorization": False}),
    # The schema and its page are read, never written to: other methods answer 405.
    docs_decorator=require_safe,
)
errors.install(api)
api.add_router("", me.router)
api.add_router("", generations.router)
api.add_router("", images.router)


def urlpatterns() -> list[URLPattern | URLResolver]:
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            # Ninja's root (kept: the schema reverses it) answers Django's HTML 404 otherwise.
            if pattern.name == "api-root":
                pattern.callback = errors.unknown_path
            else:
                pattern.callback = errors.json_method_errors(pattern.callback)
    return [*patterns, re_path(r"^(?P<rest>.*)$", errors.unknown_path)]
