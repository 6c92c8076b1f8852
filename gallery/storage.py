"""Where image bytes live: Django's default storage, under names nobody can guess or browse."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages


def original_name(*, user_id: int, generation_id: int, index: int) -> str:
    return f"images/u{user_id}/g{generation_id}/{index}-original"


def thumbnail_name(*, user_id: int, generation_id: int, index: int) -> str:
    return f"images/u{user_id}/g{generation_id}/{index}-thumb.webp"


def save_bytes(name: str, content: bytes) -> str:
    """Save under exactly this name, replacing what a crashed earlier attempt may have left.

    (Saving beside it and deleting the old one would be a lookup less, but a worker whose
    lease was taken over could then leave its row naming a file the other one deleted.)
    """
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


def temporary_url(name: str, *, content_type: str, filename: str, attachment: bool) -> str | None:
    """A presigned URL of at most a minute where the storage offers one (S3); None otherwise."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return None
    # The backend itself: default_storage is a lazy wrapper, empty until first used.
    backend = storages["default"]
    if not isinstance(backend, S3Storage):
        return None
    disposition = "attachment" if attachment else "inline"
    return backend.url(
        name,
        parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f'{disposition}; filename="{filename}"',
        },
        expire=settings.S3_URL_SECONDS,
    )


def accel_redirect_path(name: str) -> str | None:
    """The internal location nginx serves this file from, when the settings hand files to it
    (FILES_ACCEL_REDIRECT_PREFIX, local files only); None otherwise."""
    prefix = settings.FILES_ACCEL_REDIRECT_PREFIX
    if not prefix or not isinstance(storages["default"], FileSystemStorage):
        return None
    return prefix + quote(name)
