"""Writes: every change of a generation's state goes through here."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Q, TextField, Value
from django.utils import timezone

from . import storage
from .images import BadImage, check_image, make_thumbnail
from .mka1 import ImageFetchError, ImageRequest, MKA1Client, MKA1Error, decode_b64, download
from .models import SEARCH_CONFIG, GeneratedImage, Generation, MissingImage

logger = logging.getLogger(__name__)

REVISED_PROMPT_LIMIT = 4000
TRUNCATION_MARK = " […]"


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    model: str
    n: int
    size: str
    quality: str
    style: str
    response_format: str


def generation_submit(
    *, user: AbstractBaseUser, params: GenerationParams, idempotency_key: uuid.UUID | None = None
) -> Generation:
    """Store the request and enqueue it once committed; a resent form returns the first."""
    from .tasks import run_generation

    key = idempotency_key or uuid.uuid4()
    try:
        with transaction.atomic():
            generation = Generation.objects.create(
                user=user,
                idempotency_key=key,
                prompt=params.prompt,
                model=params.model,
                n=params.n,
                size=params.size,
                quality=params.quality,
                style=params.style,
                response_format=params.response_format,
            )
            transaction.on_commit(lambda: run_generation.delay(generation.pk))
    except IntegrityError:
        return Generation.objects.get(user=user, idempotency_key=key)
    return generation


def generation_claim(*, generation_id: int) -> Generation | None:
    """Take the row for this worker; only a queued row or one whose lease ran out qualifies."""
    now = timezone.now()
    claimed = Generation.objects.filter(
        Q(status=Generation.Status.QUEUED)
        | Q(status=Generation.Status.RUNNING, lease_until__lt=now),
        pk=generation_id,
    ).update(
        status=Generation.Status.RUNNING,
        lease_until=now + timedelta(seconds=settings.GENERATION_LEASE_SECONDS),
        started_at=now,
    )
    if not claimed:
        return None
    return Generation.objects.get(pk=generation_id)


def generation_cancel(*, generation: Generation) -> bool:
    updated = Generation.objects.filter(pk=generation.pk, status=Generation.Status.QUEUED).update(
        status=Generation.Status.CANCELED, finished_at=timezone.now(), lease_until=None
    )
    return bool(updated)


def _finish(generation: Generation, **fields: Any) -> None:
    """Write a terminal state, but only over our own running claim: a finished row stays put."""
    fields.setdefault("finished_at", timezone.now())
    Generation.objects.filter(pk=generation.pk, status=Generation.Status.RUNNING).update(
        lease_until=None, **fields
    )


def generation_fail(
    *,
    generation: Generation,
    kind: str,
    message: str,
    upstream_status: int | None = None,
    request_id: str = "",
    attempts: int | None = None,
) -> None:
    status = (
        Generation.Status.REFUSED
        if kind == Generation.ErrorKind.CONTENT_POLICY
        else Generation.Status.FAILED
    )
    fields: dict[str, Any] = {"status": status, "error_kind": kind, "error_message": message}
    if upstream_status is not None:
        fields["upstream_status"] = upstream_status
    if request_id:
        fields["upstream_request_id"] = request_id[:200]
    if attempts is not None:
        fields["attempts"] = attempts
    _finish(generation, **fields)


def clean_text(text: str | None, *, limit: int = REVISED_PROMPT_LIMIT) -> str:
    """Upstream text made storable: no NUL characters, truncated with a mark when too long."""
    if not text:
        return ""
    text = text.replace("\x00", "")
    if len(text) > limit:
        text = text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK
    return text


def _record_response(generation: Generation, *, items: list[dict[str, Any]], **fields: Any) -> None:
    Generation.objects.filter(pk=generation.pk).update(
        upstream_response={"items": items}, responded_at=timezone.now(), **fields
    )
    generation.upstream_response = {"items": items}


def generation_call_api(*, generation: Generation, client: MKA1Client | None = None) -> bool:
    """Call the API and record its answer before anything else. False when the call failed."""
    client = client or MKA1Client()
    request = ImageRequest(
        prompt=generation.prompt,
        model=generation.model,
        n=generation.n,
        size=generation.size,
        quality=generation.quality,
        style=generation.style,
        response_format=generation.response_format,
        user_id=str(generation.user_id),
    )
    # No database connection may be held across a slow call.
    connection.close()
    try:
        result = client.generate(request)
    except MKA1Error as error:
        logger.info("Generation %s failed upstream: %s", generation.pk, error)
        generation_fail(
            generation=generation,
            kind=error.kind,
            message=error.user_message(),
            upstream_status=error.status,
            request_id=error.request_id,
            attempts=generation.attempts + error.attempts,
        )
        return False

    items: list[dict[str, Any]] = []
    for index, item in enumerate(result.items[: generation.n]):
        entry: dict[str, Any] = {"revised_prompt": clean_text(item.revised_prompt)}
        if item.b64_json is not None:
            # Decoded bytes are stored at once: the answer is paid for and must not be lost.
            try:
                content = decode_b64(item.b64_json, max_bytes=settings.MKA1_MAX_IMAGE_BYTES)
                entry["stored"] = storage.save_bytes(
                    storage.original_name(
                        user_id=generation.user_id, generation_id=generation.pk, index=index
                    ),
                    content,
                )
            except ImageFetchError as error:
                entry["error"] = {"kind": error.kind, "reason": str(error)}
        elif item.url:
            entry["url"] = item.url
        else:
            entry["error"] = {"kind": "bad_image", "reason": "The answer held no image."}
        items.append(entry)
    created = datetime.fromtimestamp(result.created, tz=UTC) if result.created is not None else None
    _record_response(
        generation,
        items=items,
        upstream_status=result.status,
        upstream_request_id=result.request_id[:200],
        upstream_created=created,
        api_ms=result.elapsed_ms,
        attempts=generation.attempts + result.attempts,
    )
    return True


def _fetch_original(generation: Generation, index: int, entry: dict[str, Any]) -> bytes:
    if "error" in entry:
        raise ImageFetchError(entry["error"]["reason"], kind=entry["error"]["kind"])
    if "stored" in entry:
        return storage.read_bytes(entry["stored"])
    return download(
        entry["url"],
        max_bytes=settings.MKA1_MAX_IMAGE_BYTES,
        timeout=settings.MKA1_DOWNLOAD_TIMEOUT,
    )


def _store_image(
    generation: Generation, index: int, entry: dict[str, Any], content: bytes
) -> GeneratedImage:
    checked = check_image(content, max_pixels=settings.MKA1_MAX_IMAGE_PIXELS)
    thumb = make_thumbnail(checked.content)
    names = {"user_id": generation.user_id, "generation_id": generation.pk, "index": index}
    original = entry.get("stored") or storage.save_bytes(
        storage.original_name(**names), checked.content
    )
    thumbnail = storage.save_bytes(storage.thumbnail_name(**names), thumb.content)
    image, _ = GeneratedImage.objects.update_or_create(
        generation=generation,
        index=index,
        defaults={
            "user_id": generation.user_id,
            "revised_prompt": entry.get("revised_prompt", ""),
            "file": original,
            "thumbnail": thumbnail,
            "content_type": checked.content_type,
            "width": checked.width,
            "height": checked.height,
            "byte_size": len(checked.content),
            "thumb_width": thumb.width,
            "thumb_height": thumb.height,
        },
    )
    return image


def index_images(*, generation: Generation) -> None:
    """Fill the images' search vectors: the prompt weighs more than the revised prompt."""
    GeneratedImage.objects.filter(generation=generation).update(
        search_vector=SearchVector(
            Value(generation.prompt, output_field=TextField()), weight="A", config=SEARCH_CONFIG
        )
        + SearchVector("revised_prompt", weight="B", config=SEARCH_CONFIG)
    )


def generation_store_images(*, generation: Generation) -> None:
    """Turn the recorded answer into stored images, and say what is missing and why."""
    entries: list[dict[str, Any]] = (generation.upstream_response or {}).get("items", [])
    already = set(generation.images.values_list("index", flat=True))
    missing: list[tuple[int, str, str]] = []
    for index in range(generation.n):
        if index in already:
            continue
        if index >= len(entries):
            missing.append((index, "upstream", "The image service returned fewer images."))
            continue
        entry = entries[index]
        connection.close()
        try:
            content = _fetch_original(generation, index, entry)
            _store_image(generation, index, entry, content)
        except ImageFetchError as error:
            missing.append((index, error.kind, str(error)))
        except BadImage as error:
            storage.delete_quietly(entry.get("stored", ""))
            missing.append((index, "bad_image", str(error)))
        except OSError as error:
            logger.exception("Storing image %s of generation %s failed", index, generation.pk)
            missing.append((index, "storage", f"The image could not be stored ({error})."))
        close_old_connections()

    index_images(generation=generation)
    for index, kind, reason in missing:
        MissingImage.objects.update_or_create(
            generation=generation, index=index, defaults={"error_kind": kind, "reason": reason}
        )
    stored = generation.images.count()
    if stored:
        _finish(generation, status=Generation.Status.SUCCEEDED, upstream_response=None)
    else:
        kind, reason = (missing[0][1], missing[0][2]) if missing else ("upstream", "No images.")
        generation_fail(generation=generation, kind=kind, message=reason)


def generation_run(*, generation_id: int) -> None:
    generation = generation_claim(generation_id=generation_id)
    if generation is None:
        return
    if generation.upstream_response is None and not generation_call_api(generation=generation):
        return
    generation_store_images(generation=generation)


def image_delete(*, image: GeneratedImage) -> None:
    names = (image.file.name, image.thumbnail.name)
    image.delete()
    transaction.on_commit(lambda: storage.delete_quietly(*names))


def generation_rerun(*, user: AbstractBaseUser, source: Generation) -> Generation:
    params = GenerationParams(
        prompt=source.prompt,
        model=source.model,
        n=source.n,
        size=source.size,
        quality=source.quality,
        style=source.style,
        response_format=source.response_format,
    )
    return generation_submit(user=user, params=params)
