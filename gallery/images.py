"""Checking image bytes from upstream and making thumbnails."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
THUMBNAIL_BOX = (384, 384)


class BadImage(Exception):
    pass


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    content_type: str
    width: int
    height: int
    # The decoded pixels, so the thumbnail is made without decoding the bytes again.
    picture: Image.Image


@dataclass(frozen=True)
class Thumbnail:
    content: bytes
    width: int
    height: int


def check_image(content: bytes, *, max_pixels: int) -> CheckedImage:
    """Accept PNG, JPEG and WebP only, of a sane pixel count, that decode in full."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
        with image:
            image_format = image.format or ""
            width, height = image.size
            if image_format not in ACCEPTED_FORMATS:
                raise BadImage(f"The image service sent an unsupported format ({image_format}).")
            if width * height > max_pixels:
                raise BadImage(f"The image is too large to process ({width}x{height} pixels).")
            image.verify()
        # verify() checks structure only; a full decode catches truncated pixel data.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(content))
            picture.load()
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("The image is too large to process (a decompression bomb).") from None
    except UnidentifiedImageError:
        raise BadImage("The image service sent data that is not a usable image.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage(f"The image service sent a broken image ({exc}).") from None
    return CheckedImage(content, ACCEPTED_FORMATS[image_format], width, height, picture)


def make_thumbnail(source: bytes | Image.Image) -> Thumbnail:
    """A WebP thumbnail of encoded bytes, or of pixels already decoded."""
    if isinstance(source, Image.Image):
        picture = source.convert("RGB")
    else:
        with Image.open(io.BytesIO(source)) as image:
            image.draft("RGB", THUMBNAIL_BOX)
            picture = image.convert("RGB")
    picture.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=80, method=2)
    return Thumbnail(out.getvalue(), picture.width, picture.height)
