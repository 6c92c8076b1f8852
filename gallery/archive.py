"""Export zips: originals and one metadata.json, streamed through a temporary file."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage

from .models import Export, GeneratedImage
from .values import GenerationParams

BATCH = 200
COPY_CHUNK = 1024 * 1024


def image_metadata(image: GeneratedImage, path: str) -> dict[str, Any]:
    generation = image.generation
    return {
        "file": path,
        "image": {
            "id": image.pk,
            "index": image.index,
            "revised_prompt": image.revised_prompt,
            "content_type": image.content_type,
            "width": image.width,
            "height": image.height,
            "byte_size": image.byte_size,
            "created_at": image.created_at.isoformat(),
        },
        "generation": {
            "id": generation.pk,
            **GenerationParams.of(generation).as_dict(),
            "status": generation.status,
            "attempts": generation.attempts,
            "upstream_request_id": generation.upstream_request_id,
            "created_at": generation.created_at.isoformat(),
            "finished_at": generation.finished_at.isoformat() if generation.finished_at else None,
            "api_ms": generation.api_ms,
        },
    }


def write_export(
    export: Export, image_ids: list[int], *, progress: Callable[[int], None]
) -> tuple[str, int]:
    """Build the zip on disk and save it to storage; returns its storage name and size."""
    with tempfile.TemporaryFile() as archive, tempfile.TemporaryFile() as metadata:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            done = 0
            for start in range(0, len(image_ids), BATCH):
                batch = image_ids[start : start + BATCH]
                images = GeneratedImage.objects.filter(pk__in=batch).select_related("generation")
                for image in images.order_by("-created_at", "-pk"):
                    path = f"images/{image.generation_id}-{image.index + 1}.{image.extension}"
                    with (
                        default_storage.open(image.file.name or "", "rb") as source,
                        zf.open(path, "w", force_zip64=True) as target,
                    ):
                        shutil.copyfileobj(source, target, COPY_CHUNK)
                    metadata.write(json.dumps(image_metadata(image, path)).encode() + b"\n")
                done += len(batch)
                progress(done)
            metadata.seek(0)
            with zf.open("metadata.json", "w", force_zip64=True) as target:
                target.write(b'{"images": [\n')
                for number, line in enumerate(metadata):
                    target.write((b",\n" if number else b"") + line.rstrip(b"\n"))
                target.write(b"\n]}\n")
        size = archive.tell()
        archive.seek(0)
        name = default_storage.save(
            f"exports/u{export.user_id}/export-{export.pk}.zip", File(archive)
        )
    return name, size
