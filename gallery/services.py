"""Writes: every change of a generation's state goes through here."""

from __future__ import annotations

import logging
import re
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from accounts.models import Team
from accounts.selectors import user_daily_limit

from . import quotas, storage
from .images import BadImage, check_image, make_thumbnail
from .mka1 import ImageFetchError, ImageRequest, MKA1Client, MKA1Error, decode_b64, download
from .models import (
    SEARCH_CONFIG,
    Export,
    Favorite,
    GeneratedImage,
    Generation,
    MissingImage,
    SavedSearch,
    SearchTerm,
)

logger = logging.getLogger(__name__)

REVISED_PROMPT_LIMIT = 4000
SEARCH_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
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

    @classmethod
    def of(cls, generation: Generation) -> GenerationParams:
        return cls(
            prompt=generation.prompt,
            model=generation.model,
            n=generation.n,
            size=generation.size,
            quality=generation.quality,
            style=generation.style,
            response_format=generation.response_format,
        )


def _enqueue(generation_id: int) -> None:
    from .tasks import enqueue_generation

    transaction.on_commit(lambda: enqueue_generation(generation_id))


def generation_submit(
    *,
    user: User,
    params: GenerationParams,
    idempotency_key: uuid.UUID | None = None,
    team: Team | None = None,
    remixed_from: GeneratedImage | None = None,
) -> Generation:
    """Store the request and enqueue it once committed; a resent form returns the first.

    The user's and the team's rows are locked while the quotas are checked, so concurrent
    submits are counted one after another and none slips past a limit.
    """
    key = idempotency_key or uuid.uuid4()
    existing = Generation.objects.filter(user=user, idempotency_key=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            allowances = [quotas.user_allowance(user.pk, user_daily_limit(user.pk))]
            if team is not None:
                Team.objects.select_for_update().filter(pk=team.pk).first()
                allowances.append(quotas.team_allowance(team.pk, team.name, team.image_limit))
            for allowance in allowances:
                if allowance.refuses(params.n):
                    raise quotas.QuotaExceeded(allowance.message(params.n))
            generation = Generation.objects.create(
                user=user,
                team=team,
                remixed_from=remixed_from,
                idempotency_key=key,
                charged=params.n,
                lease_until=timezone.now() + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
                **asdict(params),
            )
            _enqueue(generation.pk)
    except IntegrityError:
        return Generation.objects.get(user=user, idempotency_key=key)
    return generation


def generation_rerun(*, user: User, source: Generation, team: Team | None = None) -> Generation:
    return generation_submit(user=user, params=GenerationParams.of(source), team=team)


def generation_cancel(*, generation: Generation) -> bool:
    updated = Generation.objects.filter(pk=generation.pk, status=Generation.Status.QUEUED).update(
        status=Generation.Status.CANCELED, finished_at=timezone.now(), lease_until=None, charged=0
    )
    return bool(updated)


def generation_release(*, generation_id: int) -> None:
    """Give a running generation back to the queue after this worker lost its database link."""
    try:
        Generation.objects.filter(pk=generation_id, status=Generation.Status.RUNNING).update(
            status=Generation.Status.QUEUED,
            claim_token=None,
            lease_until=timezone.now() + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
        )
    except DatabaseError:
        logger.exception("Could not release generation %s; its lease will run out", generation_id)


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


def _fetch_original(claim: Claim, entry: dict[str, Any], slot: FinishingSlot) -> bytes:
    """The image's bytes: downloaded (holding no slot and no database connection) or read
    back."""
    if "error" in entry:
        raise ImageFetchError(entry["error"]["reason"], kind=entry["error"]["kind"])
    if "stored" in entry:
        return storage.read_bytes(entry["stored"])
    claim.ensure(settings.MKA1_DOWNLOAD_TIMEOUT)
    slot.give_back()
    connection.close()
    return download(
        entry["url"],
        max_bytes=settings.MKA1_MAX_IMAGE_BYTES,
        timeout=settings.MKA1_DOWNLOAD_TIMEOUT,
    )


def search_vector_sql(prompt: str, revised_prompt: str) -> str:
    """An image's search vector in SQL: the prompt's words weigh more than the revised prompt's."""
    return (
        f"setweight(to_tsvector(%(search_config)s::regconfig, {prompt}), 'A')"
        f" || setweight(to_tsvector(%(search_config)s::regconfig, {revised_prompt}), 'B')"
    )


# The user's words, for the misspelling fallback of the search.
REMEMBER_WORDS_TEMPLATE = """
    INSERT INTO {terms} (user_id, word)
    SELECT %(user_id)s, unnest(%(words)s::text[])
    ON CONFLICT DO NOTHING
"""
REMEMBER_WORDS_SQL = REMEMBER_WORDS_TEMPLATE.format(terms=SearchTerm._meta.db_table)


# The last, created_at, is kept when a row is written again.
IMAGE_COLUMNS = (
    "generation_id", "index", "user_id", "model", "size", "quality", "style", "revised_prompt",
    "file", "thumbnail", "content_type", "width", "height", "byte_size", "thumb_width",
    "thumb_height", "created_at",
)  # fmt: skip
# One statement writes an image's row, its search vector made in it, updating the row a crashed
# earlier run may have left for the same index, and adds the words of its prompts to the
# user's (for the misspelling fallback). Written in SQL: on this, the worker's hottest write,
# the ORM's bulk_create cost more CPU than the rest of storing the row.
UPSERT_IMAGE_TEMPLATE = """
    WITH image AS (
        INSERT INTO {table} ({columns}, search_vector)
        VALUES ({values}, {vector})
        ON CONFLICT (generation_id, "index") DO UPDATE
        SET {updates}, search_vector = EXCLUDED.search_vector
    )
    {remember_words}
"""
# The names come from IMAGE_COLUMNS; every value is a parameter.
UPSERT_IMAGE_SQL = UPSERT_IMAGE_TEMPLATE.format(
    table=GeneratedImage._meta.db_table,
    vector=search_vector_sql("%(search_prompt)s", "%(revised_prompt)s"),
    remember_words=REMEMBER_WORDS_SQL,
    columns=", ".join(f'"{name}"' for name in IMAGE_COLUMNS),
    values=", ".join(f"%({name})s" for name in IMAGE_COLUMNS),
    updates=", ".join(f'"{name}" = EXCLUDED."{name}"' for name in IMAGE_COLUMNS[2:-1]),
)


def _store_image(generation: Generation, index: int, entry: dict[str, Any], content: bytes) -> None:
    """Check the bytes, make the thumbnail, store both, and write the row (searchable at once)."""
    checked = check_image(content, max_pixels=settings.MKA1_MAX_IMAGE_PIXELS)
    thumb = make_thumbnail(checked.picture)
    names = {"user_id": generation.user_id, "generation_id": generation.pk, "index": index}
    original = entry.get("stored") or storage.save_bytes(
        storage.original_name(**names), checked.content
    )
    thumbnail = storage.save_bytes(storage.thumbnail_name(**names), thumb.content)
    row = {
        "generation_id": generation.pk,
        "index": index,
        "user_id": generation.user_id,
        "model": generation.model,
        "size": generation.size,
        "quality": generation.quality,
        "style": generation.style,
        "revised_prompt": entry.get("revised_prompt", ""),
        "file": original,
        "thumbnail": thumbnail,
        "content_type": checked.content_type,
        "width": checked.width,
        "height": checked.height,
        "byte_size": len(checked.content),
        "thumb_width": thumb.width,
        "thumb_height": thumb.height,
        "created_at": timezone.now(),
    }
    words = _words([generation.prompt, row["revised_prompt"]])
    params = {**row, "search_config": SEARCH_CONFIG, "search_prompt": generation.prompt}
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_IMAGE_SQL, {**params, "words": words})


def _store_one(
    claim: Claim, index: int, entry: dict[str, Any], slot: FinishingSlot
) -> tuple[str, str] | None:
    """Store image `index` (in a finishing slot); the reason it is missing otherwise."""
    try:
        content = _fetch_original(claim, entry, slot)
        slot.take()
        _store_image(claim.generation, index, entry, content)
    except ImageFetchError as error:
        return error.kind, str(error)
    except BadImage as error:
        storage.delete_quietly(entry.get("stored", ""))
        return "bad_image", str(error)
    except OSError as error:
        logger.exception("Storing image %s of generation %s failed", index, claim.generation.pk)
        return "storage", f"The image could not be stored ({error})."
    return None


def _words(texts: list[str]) -> list[str]:
    return sorted({word.lower()[:100] for text in texts for word in SEARCH_WORD.findall(text)})


INDEX_IMAGES_TEMPLATE = "UPDATE {table} SET search_vector = {vector} WHERE generation_id = %(id)s"
INDEX_IMAGES_SQL = INDEX_IMAGES_TEMPLATE.format(
    table=GeneratedImage._meta.db_table,
    vector=search_vector_sql("%(search_prompt)s", "revised_prompt"),
)


def index_images(*, generation: Generation) -> None:
    """Fill the search vectors of a generation's images again, and remember their words."""
    revised = list(generation.images.values_list("revised_prompt", flat=True))
    params = {"search_config": SEARCH_CONFIG, "search_prompt": generation.prompt}
    words = _words([generation.prompt, *revised])
    with connection.cursor() as cursor:
        cursor.execute(INDEX_IMAGES_SQL, {**params, "id": generation.pk})
        cursor.execute(REMEMBER_WORDS_SQL, {"user_id": generation.user_id, "words": words})


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
    from .tasks import enqueue_generation

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


def images_trash(*, user: User, image_ids: list[int]) -> int:
    """Move the user's images to the trash; ids that are not theirs change nothing."""
    return GeneratedImage.objects.filter(
        user=user, pk__in=image_ids, deleted_at__isnull=True
    ).update(deleted_at=timezone.now())


def images_restore(*, user: User, image_ids: list[int]) -> int:
    return GeneratedImage.objects.filter(
        user=user, pk__in=image_ids, deleted_at__isnull=False
    ).update(deleted_at=None)


def images_delete_forever(*, images: Any) -> int:
    """Delete rows and then their files, once the deletion is committed."""
    names = [name for pair in images.values_list("file", "thumbnail") for name in pair if name]
    count, _ = images.delete()
    transaction.on_commit(lambda: storage.delete_quietly(*names))
    return int(count)


def trash_empty(*, user: User, image_ids: list[int] | None = None) -> int:
    images = GeneratedImage.objects.filter(user=user, deleted_at__isnull=False)
    if image_ids is not None:
        images = images.filter(pk__in=image_ids)
    return images_delete_forever(images=images)


def trash_purge(*, older_than_days: float | None = None) -> int:
    """Delete for good what has been in the trash longer than the retention period."""
    days = settings.TRASH_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    purged = 0
    while True:
        batch = list(
            GeneratedImage.objects.filter(deleted_at__lt=cutoff).values_list("pk", flat=True)[:500]
        )
        if not batch:
            return purged
        with transaction.atomic():
            purged += images_delete_forever(images=GeneratedImage.objects.filter(pk__in=batch))


def favorites_set(*, user: User, image_ids: list[int], favorite: bool) -> int:
    """Star or unstar images the user may see (own, or shared with their team); others stay."""
    from .selectors import visible_images

    visible = visible_images(user).filter(pk__in=image_ids)
    if not favorite:
        deleted, _ = Favorite.objects.filter(user=user, image__in=visible).delete()
        return int(deleted)
    created = Favorite.objects.bulk_create(
        [Favorite(user=user, image_id=pk) for pk in visible.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    return len(created)


def saved_search_save(*, user: User, name: str, query_string: str) -> SavedSearch:
    saved, _ = SavedSearch.objects.update_or_create(
        user=user, name=name, defaults={"query_string": query_string[:1000]}
    )
    return saved


def export_start(*, user: User, image_ids: list[int], query_string: str = "") -> Export:
    from .tasks import build_export

    with transaction.atomic():
        export = Export.objects.create(
            user=user, image_ids=image_ids[:100_000], query_string=query_string[:1000]
        )
        transaction.on_commit(
            lambda: build_export.apply_async((export.pk,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        )
    return export


def export_build(*, export_id: int) -> None:
    """Write the zip to a temporary file and then to storage, so memory stays flat."""
    from .archive import write_export
    from .selectors import export_image_ids

    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING
    )
    if not claimed:
        return
    export = Export.objects.get(pk=export_id)
    try:
        image_ids = export_image_ids(export)
        Export.objects.filter(pk=export.pk).update(total=len(image_ids))

        def progress(done: int) -> None:
            Export.objects.filter(pk=export.pk).update(done=done)

        name, size = write_export(export, image_ids, progress=progress)
    except Exception as error:
        logger.exception("Export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(
            status=Export.Status.FAILED,
            error_message=f"The export could not be built ({type(error).__name__}).",
            finished_at=timezone.now(),
        )
        return
    Export.objects.filter(pk=export_id).update(
        status=Export.Status.READY, file=name, byte_size=size, finished_at=timezone.now()
    )


class ShareError(Exception):
    """A share that cannot be made, with the reason in words."""


def images_share(*, user: User, image_ids: list[int], team: Team) -> int:
    """Show the user's images in a team's library; only a member may share with a team."""
    if not team.memberships.filter(user=user).exists():
        raise ShareError("You can only share with a team you belong to.")
    return GeneratedImage.objects.filter(
        user=user, pk__in=image_ids, deleted_at__isnull=True
    ).update(shared_team=team, shared_at=timezone.now())


def images_unshare(*, user: User, image_ids: list[int]) -> int:
    return GeneratedImage.objects.filter(
        user=user, pk__in=image_ids, shared_team__isnull=False
    ).update(shared_team=None, shared_at=None)
