"""Writes on the worker side: run a claimed generation (call the API, record the answer, store
its images) and sweep up what is stuck."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from telemetry import context
from telemetry.metrics import generations_ended

from .. import storage
from ..mka1 import ImageFetchError, ImageRequest, MKA1Client, MKA1Error, ResultItem, decode_b64
from ..models import Generation, MissingImage
from ..values import AnswerItem, GenerationParams, answer_from_json, answer_to_json
from .claims import Added, Claim, FinishingSlot, LeaseLost, generation_claim, lease_expiry
from .enqueue import enqueue_generation
from .storing import image_store

logger = logging.getLogger(__name__)

REVISED_PROMPT_LIMIT = 4000
TRUNCATION_MARK = " […]"


def _failure_fields(
    kind: str, message: str, *, upstream_status: int | None = None, request_id: str = ""
) -> dict[str, Any]:
    status = (
        Generation.Status.REFUSED
        if kind == Generation.ErrorKind.CONTENT_POLICY
        else Generation.Status.FAILED
    )
    fields: dict[str, Any] = {
        "status": status,
        "error_kind": kind,
        "error_message": message,
        "finished_at": timezone.now(),
        "lease_until": None,
        # Nothing was stored, so nothing counts against the quotas.
        "charged": 0,
    }
    if upstream_status is not None:
        fields["upstream_status"] = upstream_status
    if request_id:
        fields["upstream_request_id"] = request_id[:200]
    return fields


def _ended(generation_id: int, status: str, error_kind: str = "", images: int = 0) -> None:
    """Count and log a generation's end, once its final write went through."""
    generations_ended(status, error_kind)
    if error_kind:
        logger.info("Generation %s %s (%s)", generation_id, status, error_kind)
    else:
        logger.info("Generation %s %s with %s images", generation_id, status, images)


def clean_text(text: str | None, *, limit: int = REVISED_PROMPT_LIMIT) -> str:
    """Upstream text made storable: no NULs or lone surrogates, truncated with a mark."""
    if not text:
        return ""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK
    return text


def _image_request(generation: Generation) -> ImageRequest:
    return ImageRequest(GenerationParams.of(generation), user_id=str(generation.user_id))


def _answer_item(generation: Generation, index: int, item: ResultItem) -> AnswerItem:
    revised = clean_text(item.revised_prompt)
    if item.b64_json is not None:
        # Decoded bytes are stored at once: the answer is paid for and must not be lost.
        try:
            content = decode_b64(item.b64_json, max_bytes=settings.MKA1_MAX_IMAGE_BYTES)
            name = storage.original_name(
                user_id=generation.user_id, generation_id=generation.pk, index=index
            )
            return AnswerItem(revised, stored=storage.save_bytes(name, content))
        except ImageFetchError as error:
            return AnswerItem(revised, error_kind=error.kind, error_reason=str(error))
        except OSError as error:
            reason = f"Could not be stored ({error})."
            return AnswerItem(revised, error_kind="storage", error_reason=reason)
    if item.url:
        return AnswerItem(revised, url=item.url)
    return AnswerItem(revised, error_kind="bad_image", error_reason="The answer held no image.")


def generation_call_api(
    *, claim: Claim, slot: FinishingSlot, client: MKA1Client | None = None
) -> bool:
    """Call the API and record its answer before anything else. False when it ended the run.

    The answer is recorded in a finishing slot, which is left held for what follows."""
    generation = claim.generation
    client = client or MKA1Client()
    # No database connection is held across the slow call; each lease extension is a short one.
    connection.close()

    def before_attempt(seconds: float) -> None:
        # The claim's own lease covers the first attempt unless its call slot was long coming.
        if claim.ensure(seconds):
            connection.close()

    try:
        result = client.generate(_image_request(generation), before_attempt=before_attempt)
    except MKA1Error as error:
        logger.info("Generation %s failed upstream: %s", generation.pk, error)
        fields = _failure_fields(
            error.kind,
            error.user_message(),
            upstream_status=error.status,
            request_id=error.request_id,
        )
        if claim.update(attempts=Added(error.attempts), **fields):
            _ended(generation.pk, fields["status"], error.kind)
        return False

    slot.take()
    items = [
        _answer_item(generation, index, item)
        for index, item in enumerate(result.items[: generation.n])
    ]
    created = datetime.fromtimestamp(result.created, tz=UTC) if result.created is not None else None
    generation.upstream_response = answer_to_json(items)
    return claim.update(
        upstream_response=generation.upstream_response,
        responded_at=timezone.now(),
        upstream_status=result.status,
        upstream_request_id=result.request_id[:200],
        upstream_created=created,
        api_ms=result.elapsed_ms,
        attempts=Added(result.attempts),
        # The first download is covered by the same write.
        lease_until=lease_expiry(settings.MKA1_DOWNLOAD_TIMEOUT),
    )


def generation_store_images(*, claim: Claim, slot: FinishingSlot, fresh: bool = False) -> None:
    """Turn the recorded answer into stored images, and say what is missing and why.

    `fresh`: the answer was recorded by this run, so no image of it can be stored yet.
    """
    generation = claim.generation
    items = answer_from_json(generation.upstream_response)
    already = set() if fresh else set(generation.images.values_list("index", flat=True))
    missing: dict[int, tuple[str, str]] = {}
    stored = len(already)
    for index in range(generation.n):
        if index in already:
            continue
        if index >= len(items):
            missing[index] = ("upstream", "The image service returned fewer images than asked.")
            continue
        problem = image_store(claim=claim, index=index, item=items[index], slot=slot)
        if problem:
            missing[index] = problem
        else:
            stored += 1

    # The final write comes last: a crash before it leaves all of this to be done again.
    slot.take()
    MissingImage.objects.bulk_create(
        [
            MissingImage(generation=generation, index=index, error_kind=kind, reason=reason)
            for index, (kind, reason) in missing.items()
        ],
        update_conflicts=True,
        unique_fields=["generation", "index"],
        update_fields=["error_kind", "reason"],
    )
    if stored:
        succeeded = claim.update(
            status=Generation.Status.SUCCEEDED,
            finished_at=timezone.now(),
            lease_until=None,
            upstream_response=None,
            # Missing images are given back to the quotas.
            charged=stored,
        )
        if succeeded:
            _ended(generation.pk, Generation.Status.SUCCEEDED, images=stored)
    else:
        kind, reason = missing[min(missing)] if missing else ("upstream", "No images.")
        fields = _failure_fields(kind, reason)
        if claim.update(**fields):
            _ended(generation.pk, fields["status"], kind)


def generation_run(*, generation_id: int) -> float | None:
    """Run one generation to its end. When another worker's lease still holds it, return the
    seconds until that lease runs out, so the caller can look again then."""
    claim = generation_claim(generation_id=generation_id)
    if claim is None:
        lease_until = (
            Generation.objects.pending()
            .filter(pk=generation_id)
            .values_list("lease_until", flat=True)
            .first()
        )
        if lease_until is None:
            return None
        return max(1.0, (lease_until - timezone.now()).total_seconds() + 1)
    try:
        with (
            context.bound(generation_id=generation_id, user_id=claim.generation.user_id),
            FinishingSlot() as slot,
        ):
            fresh = claim.generation.upstream_response is None
            if fresh and not generation_call_api(claim=claim, slot=slot):
                return None
            generation_store_images(claim=claim, fresh=fresh, slot=slot)
    except LeaseLost:
        logger.warning("Generation %s was claimed by another worker; stopping", generation_id)
    return None


def generations_sweep() -> dict[str, int]:
    """The backstop: enqueue again what is stuck past its lease, or fail it after the limit."""
    now = timezone.now()
    stuck = Generation.objects.stuck(now)
    exhausted = 0
    given_up = stuck.filter(claims__gte=settings.GENERATION_MAX_CLAIMS)
    for generation_id in given_up.values_list("pk", flat=True)[:1000]:
        # One statement each: the usage counters of one user and team are taken in their
        # order, never several users' at once, so a submit never waits on a sweep in a circle.
        exhausted += (
            Generation.objects.stuck(now)
            .filter(pk=generation_id, claims__gte=settings.GENERATION_MAX_CLAIMS)
            .update(
                **_failure_fields(
                    Generation.ErrorKind.UPSTREAM,
                    "The generation was interrupted too many times and was given up.",
                )
            )
        )
    generations_ended(Generation.Status.FAILED, Generation.ErrorKind.UPSTREAM, count=exhausted)
    requeued = 0
    for generation_id in stuck.values_list("pk", flat=True)[:1000]:
        # Back to queued with a fresh lease: a worker still holding it loses its claim, and the
        # next sweep does not enqueue it again at once.
        pushed = (
            Generation.objects.stuck(now)
            .filter(pk=generation_id)
            .update(
                status=Generation.Status.QUEUED,
                claim_token=None,
                lease_until=now + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
            )
        )
        # One the broker does not take is made due again, for the next sweep.
        if pushed and enqueue_generation(generation_id):
            requeued += 1
    if exhausted or requeued:
        logger.warning("Sweep: %s enqueued again, %s given up", requeued, exhausted)
    return {"requeued": requeued, "failed": exhausted}
