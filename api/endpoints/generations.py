"""Generations: submit (the form's rules, the quotas, an idempotency key), follow, list,
cancel and run again."""

from __future__ import annotations

import math
import uuid

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Path, Query, Router

from accounts.models import Team
from gallery import selectors, services
from gallery.forms import GenerationForm
from gallery.models import GeneratedImage, Generation
from gallery.values import GenerationParams

from ..limits import Busy, single_flight
from .common import caller, errors, generation_filters, page_cursor, team_for
from .errors import ApiError
from .output import generation_out, image_out, missing_out
from .schemas import (
    MAX_ID,
    GenerationDetailOut,
    GenerationIn,
    GenerationOut,
    GenerationPage,
    GenerationQuery,
    RerunIn,
)

router = Router(tags=["generations"])

# Idempotency keys become the generation's UUID key within this namespace, per user.
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0f8d4e-3f7a-4c55-9f0e-6a1d2c3b4a59")
# Printable ASCII, as the header's value must be.
IDEMPOTENCY_KEY = r"^[\x20-\x7E]+$"
ID = Path(..., ge=1, le=MAX_ID)


def _form_params(payload: GenerationIn) -> GenerationParams:
    """The body through the portal's own form: the same rules as a submission in the page."""
    form = GenerationForm({name: getattr(payload, name) for name in GenerationParams.names()})
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        raise ApiError(
            422,
            "invalid",
            " ".join(str(message) for message in messages),
            field=None if field == "__all__" else field,
        )
    return form.params()


def _refusal(refused: services.SubmissionRefused) -> ApiError:
    """A quota's refusal, with when to try again; or why the user may not submit now."""
    if isinstance(refused, services.TooManyPending):
        return ApiError(429, "too_many_pending", refused.message, headers={"Retry-After": "10"})
    if not isinstance(refused, services.QuotaExceeded):
        return ApiError(403, "submission_held", refused.message)
    wait = 60
    if refused.resets_at is not None:
        wait = max(1, math.ceil((refused.resets_at - timezone.now()).total_seconds()))
    return ApiError(429, "quota_exceeded", refused.message, headers={"Retry-After": str(wait)})


def _submit(
    user: User,
    params: GenerationParams,
    *,
    team: Team | None,
    key: uuid.UUID | None = None,
    source: GeneratedImage | None = None,
) -> tuple[Generation, bool]:
    """The generation, and whether it was made now (not found under the idempotency key)."""
    try:
        return services.generation_submit_once(
            user=user, params=params, idempotency_key=key, team=team, remixed_from=source
        )
    except services.SubmissionRefused as refused:
        raise _refusal(refused) from None


def _same_request(
    generation: Generation,
    params: GenerationParams,
    team: Team | None,
    source: GeneratedImage | None,
) -> bool:
    return (
        GenerationParams.of(generation) == params
        and generation.team_id == (team.pk if team else None)
        and generation.remixed_from_id == (source.pk if source else None)
    )


@router.post(
    "/generations",
    response={200: GenerationOut, 201: GenerationOut, **errors(400, 404, 409)},
    url_name="generations",
    summary="Submit a generation",
)
def generation_submit(
    request: HttpRequest,
    payload: GenerationIn,
    idempotency_key: str | None = Header(
        default=None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY,
        description="Sent again with the same body, answers the first generation (200) "
        "instead of submitting another; with another body, 422; while the first is still "
        "being submitted, 409.",
    ),
) -> tuple[int, dict[str, object]]:
    """Queue a generation, charged to the named team. 201 with the generation; 429 with
    Retry-After when it would go over a quota."""
    user = caller(request)
    params = _form_params(payload)
    team = team_for(user, payload.team)
    source = None
    if payload.remixed_from is not None:
        source = selectors.remix_source(user, payload.remixed_from)
        if source is None:
            raise ApiError(
                422,
                "unknown_image",
                "The image to remix is not available to you.",
                field="remixed_from",
            )
    if idempotency_key is None:
        generation, _ = _submit(user, params, team=team, source=source)
        return 201, generation_out(request, generation)
    key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{user.pk}:{idempotency_key}")
    try:
        # The key's unique row answers a key used before; the lock, a request still running.
        with single_flight(f"submit:{user.pk}:{key}"):
            generation, created = _submit(user, params, team=team, key=key, source=source)
    except Busy:
        raise ApiError(
            409,
            "request_in_progress",
            "A request with this Idempotency-Key is still being handled; try again shortly.",
            headers={"Retry-After": "1"},
        ) from None
    if created:
        return 201, generation_out(request, generation)
    if not _same_request(generation, params, team, source):
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request.",
            field="Idempotency-Key",
        )
    return 200, generation_out(request, generation)


@router.get(
    "/generations",
    response={200: GenerationPage, **errors()},
    url_name="generations",
    summary="List your generations",
)
def generation_list(request: HttpRequest, query: Query[GenerationQuery]) -> dict[str, object]:
    """Newest first (or oldest), optionally of one status; next_cursor fetches the next page."""
    user = caller(request)
    page = selectors.generation_page(user, generation_filters(query), page_cursor(query.cursor))
    return {
        "items": [generation_out(request, generation) for generation in page.generations],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/generations/{generation_id}",
    response={200: GenerationDetailOut, **errors(404)},
    url_name="generation",
    summary="Get a generation",
)
def generation_get(request: HttpRequest, generation_id: int = ID) -> dict[str, object]:
    """Its status, parameters, error, stored images and the images that could not be stored."""
    user = caller(request)
    detail = selectors.generation_detail(user, generation_id)
    prompt = detail.generation.prompt
    starred = selectors.favorite_ids(user, [image.pk for image in detail.images])
    return {
        **generation_out(request, detail.generation),
        "images": [
            image_out(
                request,
                image,
                prompt=prompt,
                owner=user.get_username(),
                starred=image.pk in starred,
            )
            for image in detail.images
        ],  # fmt: skip
        "missing": [missing_out(missing) for missing in detail.missing],
    }


@router.post(
    "/generations/{generation_id}/cancel",
    response={200: GenerationOut, **errors(404, 409)},
    url_name="generation-cancel",
    summary="Cancel a queued generation",
)
def generation_cancel(request: HttpRequest, generation_id: int = ID) -> dict[str, object]:
    """Only a generation still queued can be canceled (409 otherwise); its charge is returned."""
    user = caller(request)
    generation = selectors.get_generation_for_user(user, generation_id)
    if not services.generation_cancel(generation=generation):
        raise ApiError(409, "not_cancelable", "Only a queued generation can be canceled.")
    return generation_out(request, selectors.get_generation_for_user(user, generation_id))


@router.post(
    "/generations/{generation_id}/rerun",
    response={201: GenerationOut, **errors(400, 404)},
    url_name="generation-rerun",
    summary="Run a generation again",
)
def generation_rerun(
    request: HttpRequest, generation_id: int = ID, payload: RerunIn | None = None
) -> tuple[int, dict[str, object]]:
    """A new generation with the same parameters, under the same quotas."""
    user = caller(request)
    source = selectors.get_generation_for_user(user, generation_id)
    team = team_for(user, payload.team if payload else None, default_team_id=source.team_id)
    try:
        generation = services.generation_rerun(user=user, source=source, team=team)
    except services.SubmissionRefused as refused:
        raise _refusal(refused) from None
    return 201, generation_out(request, generation)
