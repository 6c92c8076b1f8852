"""Where image bytes live: Django's default storage, under names nobody can guess or browse."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def original_name(*, user_id: int, generation_id: int, index: int) -> str:
    return f"images/u{user_id}/g{generation_id}/{index}-original"


def thumbnail_name(*, user_id: int, generation_id: int, index: int) -> str:
    return f"images/u{user_id}/g{generation_id}/{index}-thumb.webp"


def save_bytes(name: str, content: bytes) -> str:
    """Save under exactly this name, replacing what a crashed earlier attempt may have left."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def delete_quietly(*names: str) -> None:
    for name in names:
        if name and default_storage.exists(name):
            default_storage.delete(name)
