"""Storing one image of a recorded answer: fetching the bytes, checking them, the thumbnail,
the files, and the row with its search vector and the words it adds to the user's."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from telemetry.metrics import IMAGE_BYTES_STORED, IMAGES_STORED

from .. import storage
from ..images import BadImage, check_image, make_thumbnail
from ..mka1 import ImageFetchError, download
from ..models import SEARCH_CONFIG, GeneratedImage, Generation, SearchTerm
from ..search import search_vector_sql
from ..values import WORD, AnswerItem
from .claims import Claim, FinishingSlot

logger = logging.getLogger(__name__)


def _fetch_original(claim: Claim, item: AnswerItem, slot: FinishingSlot) -> bytes:
    """The image's bytes: downloaded (holding no slot and no database connection) or read
    back."""
    if item.error_kind:
        raise ImageFetchError(item.error_reason, kind=item.error_kind)
    if item.stored:
        return storage.read_bytes(item.stored)
    claim.ensure(settings.MKA1_DOWNLOAD_TIMEOUT)
    slot.give_back()
    connection.close()
    return download(
        item.url, max_bytes=settings.MKA1_MAX_IMAGE_BYTES, timeout=settings.MKA1_DOWNLOAD_TIMEOUT
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


def _store_image(generation: Generation, index: int, item: AnswerItem, content: bytes) -> None:
    """Check the bytes, make the thumbnail, store both, and write the row (searchable at once)."""
    checked = check_image(content, max_pixels=settings.MKA1_MAX_IMAGE_PIXELS)
    thumb = make_thumbnail(checked.picture)
    names = {"user_id": generation.user_id, "generation_id": generation.pk, "index": index}
    original = item.stored or storage.save_bytes(storage.original_name(**names), checked.content)
    thumbnail = storage.save_bytes(storage.thumbnail_name(**names), thumb.content)
    row: dict[str, Any] = {
        "generation_id": generation.pk,
        "index": index,
        "user_id": generation.user_id,
        "model": generation.model,
        "size": generation.size,
        "quality": generation.quality,
        "style": generation.style,
        "revised_prompt": item.revised_prompt,
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
    words = _words([generation.prompt, item.revised_prompt])
    params = {**row, "search_config": SEARCH_CONFIG, "search_prompt": generation.prompt}
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_IMAGE_SQL, {**params, "words": words})
    IMAGES_STORED.inc()
    IMAGE_BYTES_STORED.labels(file="original").inc(len(checked.content))
    IMAGE_BYTES_STORED.labels(file="thumbnail").inc(len(thumb.content))


def image_store(
    *, claim: Claim, index: int, item: AnswerItem, slot: FinishingSlot
) -> tuple[str, str] | None:
    """Store image `index` of the answer (in a finishing slot); the reason it is missing
    (its error kind and words) otherwise."""
    try:
        content = _fetch_original(claim, item, slot)
        slot.take()
        _store_image(claim.generation, index, item, content)
    except ImageFetchError as error:
        return error.kind, str(error)
    except BadImage as error:
        storage.delete_quietly(item.stored)
        return "bad_image", str(error)
    except OSError as error:
        logger.exception("Storing image %s of generation %s failed", index, claim.generation.pk)
        return "storage", f"The image could not be stored ({error})."
    return None


def _words(texts: list[str]) -> list[str]:
    return sorted({word.lower()[:100] for text in texts for word in WORD.findall(text)})
