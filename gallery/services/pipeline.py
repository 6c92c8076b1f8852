"""Writes on the worker side: claim a generation, call the API, store its images, sweep."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.utils import timezone

from .. import storage
from ..mka1 import ImageFetchError, ImageRequest, MKA1Client, MKA1Error, decode_b64
from ..models import Generation, MissingImage
from .generations import GenerationParams
from .storing import _store_one

logger = logging.getLogger(__name__)

REVISED_PROMPT_LIMIT = 4000
TRUNCATION_MARK = " […]"


class LeaseLost(Exception):
    """Another worker has claimed the generation: this one must stop touching it."""


def lease_expiry(seconds: float, now: datetime | None = None) -> datetime:
    """The lease expiry that covers `seconds` more of work, with the margin."""
    return (now or timezone.now()) + timedelta(seconds=seconds + settings.GENERATION_LEASE_MARGIN)


@dataclass(frozen=True)
class Added:
    """An UPDATE value that adds to the column's own: `attempts=Added(2)`."""

    amount: int


@dataclass
class Claim:
    """A worker's hold on one generation; every write under it checks the token."""

    generation: Generation
    token: uuid.UUID
    lease_until: datetime

    def extend(self, seconds: float) -> None:
        if not self.update(lease_until=lease_expiry(seconds)):
            raise LeaseLost(self.generation.pk)

    def ensure(self, seconds: float) -> None:
        """Extend the lease only when what is left of it does not cover `seconds` of work."""
        if self.lease_until < timezone.now() + timedelta(seconds=seconds):
            self.extend(seconds)

    def update(self, **fields: Any) -> bool:
        """Write these fields if the row is still this claim's; False when it is not.

        One UPDATE in SQL, each value prepared by its model field: these writes run twice for
        every generation, and the ORM's UPDATE cost the worker more CPU than the statement.
        """
        assignments, params = [], []
        for name, value in fields.items():
            field = cast("Field[Any, Any]", Generation._meta.get_field(name))
            column = connection.ops.quote_name(field.column or field.attname)
            if isinstance(value, Added):
                assignments.append(f"{column} = {column} + %s")
                params.append(value.amount)
            else:
                assignments.append(f"{column} = %s")
                params.append(field.get_db_prep_save(value, connection))
        statement = CLAIM_UPDATE_SQL.format(
            table=Generation._meta.db_table, assignments=", ".join(assignments)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                statement, [*params, self.generation.pk, Generation.Status.RUNNING, self.token]
            )
            updated = cursor.rowcount == 1
        if updated and fields.get("lease_until"):
            self.lease_until = fields["lease_until"]
        return updated


CLAIM_UPDATE_SQL = """
    UPDATE {table} SET {assignments}
    WHERE id = %s AND status = %s AND claim_token = %s
"""


# One statement takes the row and reads back what the run needs: a queued row, or a running
# one whose lease has run out, and never one claimed too often.
CLAIM_SQL = """
    UPDATE {table}
    SET status = %(running)s, claim_token = %(token)s, claims = claims + 1,
        lease_until = %(lease)s, started_at = %(now)s
    WHERE id = %(pk)s AND claims < %(max_claims)s
      AND (status = %(queued)s OR (status = %(running)s AND lease_until < %(now)s))
    RETURNING id, user_id, prompt, model, n, size, quality, style, response_format,
        upstream_response
"""


def generation_claim(*, generation_id: int) -> Claim | None:
    """Take the row for this worker: a queued row, or a running one whose lease has run out."""
    now = timezone.now()
    token = uuid.uuid4()
    lease = lease_expiry(settings.MKA1_CALL_DEADLINE, now)
    params = {
        "running": Generation.Status.RUNNING,
        "queued": Generation.Status.QUEUED,
        "token": token,
        "lease": lease,
        "now": now,
        "pk": generation_id,
        "max_claims": settings.GENERATION_MAX_CLAIMS,
    }
    claimed = list(
        Generation.objects.raw(CLAIM_SQL.format(table=Generation._meta.db_table), params)
    )
    if not claimed:
        return None
    return Claim(claimed[0], token, lease)


class FinishingSlot:
    """One of a few slots of this process for the CPU-bound part of finishing a generation.

    A worker's threads share one interpreter: when a wave of answers arrives, threads that all
    work at once share the CPU fairly and all finish at the end of the wave, so no thread is
    freed for new work until then. Through a few slots the answers are finished one after
    another and each frees its thread at once. A slot is given back for every download, and is
    never waited for while holding a database connection (the pool would run dry while the
    slot holders wait for one).
    """

    def __init__(self) -> None:
        self.held = False

    def take(self) -> None:
        if not self.held:
            connection.close()
            _finishing_slots.acquire()
            self.held = True

    def give_back(self) -> None:
        if self.held:
            _finishing_slots.release()
            self.held = False

    def __enter__(self) -> FinishingSlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.give_back()


_finishing_slots = threading.BoundedSemaphore(settings.GENERATION_FINISHING_SLOTS)


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


def clean_text(text: str | None, *, limit: int = REVISED_PROMPT_LIMIT) -> str:
    """Upstream text made storable: no NULs or lone surrogates, truncated with a mark."""
    if not text:
        return ""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK
    return text


def _image_request(generation: Generation) -> ImageRequest:
    params = asdict(GenerationParams.of(generation))
    return ImageRequest(**params, user_id=str(generation.user_id))


def _answer_entry(generation: Generation, index: int, item: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"revised_prompt": clean_text(item.revised_prompt)}
    if item.b64_json is not None:
        # Decoded bytes are stored at once: the answer is paid for and must not be lost.
        try:
            content = decode_b64(item.b64_json, max_bytes=settings.MKA1_MAX_IMAGE_BYTES)
            name = storage.original_name(
                user_id=generation.user_id, generation_id=generation.pk, index=index
            )
            entry["stored"] = storage.save_bytes(name, content)
        except ImageFetchError as error:
            entry["error"] = {"kind": error.kind, "reason": str(error)}
        except OSError as error:
            entry["error"] = {"kind": "storage", "reason": f"Could not be stored ({error})."}
    elif item.url:
        entry["url"] = item.url
    else:
        entry["error"] = {"kind": "bad_image", "reason": "The answer held no image."}
    return entry


def generation_call_api(
    *, claim: Claim, slot: FinishingSlot, client: MKA1Client | None = None
) -> bool:
    """Call the API and record its answer before anything else. False when it ended the run.

    The answer is recorded in a finishing slot, which is left held for what follows."""
    generation = claim.generation
    client = client or MKA1Client()
    # No database connection is held across the slow call; each lease extension is a short one.
    connection.close()

    steps = 0

    def before_attempt(seconds: float) -> None:
        nonlocal steps
        steps += 1
        # The claim's own lease already covers the first attempt.
        if steps > 1:
            claim.extend(seconds)
            connection.close()

    try:
        result = client.generate(_image_request(generation), before_attempt=before_attempt)
    except MKA1Error as error:
        logger.info("Generation %s failed upstream: %s", generation.pk, error)
        claim.update(
            attempts=Added(error.attempts),
            **_failure_fields(
                error.kind,
                error.user_message(),
                upstream_status=error.status,
                request_id=error.request_id,
            ),
        )
        return False

    slot.take()
    items = [
        _answer_entry(generation, index, item)
        for index, item in enumerate(result.items[: generation.n])
    ]
    created = datetime.fromtimestamp(result.created, tz=UTC) if result.created is not None else None
    generation.upstream_response = {"items": items}
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
    entries: list[dict[str, Any]] = (generation.upstream_response or {}).get("items", [])
    already = set() if fresh else set(generation.images.values_list("index", flat=True))
    missing: dict[int, tuple[str, str]] = {}
    stored = len(already)
    for index in range(generation.n):
        if index in already:
            continue
        if index >= len(entries):
            missing[index] = ("upstream", "The image service returned fewer images than asked.")
            continue
        problem = _store_one(claim, index, entries[index], slot)
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
        claim.update(
            status=Generation.Status.SUCCEEDED,
            finished_at=timezone.now(),
            lease_until=None,
            upstream_response=None,
            # Missing images are given back to the quotas.
            charged=stored,
        )
    else:
        kind, reason = missing[min(missing)] if missing else ("upstream", "No images.")
        claim.update(**_failure_fields(kind, reason))


def generation_run(*, generation_id: int) -> float | None:
    """Run one generation to its end. When another worker's lease still holds it, return the
    seconds until that lease runs out, so the caller can look again then."""
    claim = generation_claim(generation_id=generation_id)
    if claim is None:
        lease_until = (
            Generation.objects.filter(pk=generation_id, status__in=Generation.PENDING)
            .values_list("lease_until", flat=True)
            .first()
        )
        if lease_until is None:
            return None
        return max(1.0, (lease_until - timezone.now()).total_seconds() + 1)
    try:
        with FinishingSlot() as slot:
            fresh = claim.generation.upstream_response is None
            if fresh and not generation_call_api(claim=claim, slot=slot):
                return None
            generation_store_images(claim=claim, fresh=fresh, slot=slot)
    except LeaseLost:
        logger.warning("Generation %s was claimed by another worker; stopping", generation_id)
    return None


def generations_sweep() -> dict[str, int]:
    """The backstop: enqueue again what is stuck past its lease, or fail it after the limit."""
    from ..tasks import enqueue_generation

    now = timezone.now()
    stuck = Generation.objects.filter(status__in=Generation.PENDING, lease_until__lt=now)
    exhausted = stuck.filter(claims__gte=settings.GENERATION_MAX_CLAIMS).update(
        **_failure_fields(
            Generation.ErrorKind.UPSTREAM,
            "The generation was interrupted too many times and was given up.",
        )
    )
    requeued = 0
    for generation_id in stuck.values_list("pk", flat=True)[:1000]:
        # Back to queued with a fresh lease: a worker still holding it loses its claim, and the
        # next sweep does not enqueue it again at once.
        pushed = Generation.objects.filter(
            pk=generation_id, status__in=Generation.PENDING, lease_until__lt=now
        ).update(
            status=Generation.Status.QUEUED,
            claim_token=None,
            lease_until=now + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
        )
        if pushed:
            enqueue_generation(generation_id)
            requeued += 1
    if exhausted or requeued:
        logger.warning("Sweep: %s enqueued again, %s given up", requeued, exhausted)
    return {"requeued": requeued, "failed": exhausted}
