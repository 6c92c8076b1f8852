"""What the stand-in "generates": Pillow pictures, revised prompts and hostile payloads."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Iterator
from functools import cache

from PIL import Image, ImageDraw

CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
EXTENSIONS = {"png": "png", "webp": "webp", "jpeg": "jpg"}
NOT_AN_IMAGE = b"hello, not an image"
BOMB_SIDE = 30_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_STYLE_PHRASES = {
    "vivid": "rendered in a vivid, dramatic style",
    "natural": "rendered in a natural, true-to-life style",
}
_QUALITY_PHRASES = {
    "hd": "with fine detail and soft light",
    "high": "with fine detail and soft light",
    "low": "as a quick sketch in flat light",
}


def revise_prompt(prompt: str, style: str, quality: str) -> str:
    """A deterministic elaboration that keeps every word of the prompt."""
    quality_phrase = _QUALITY_PHRASES.get(quality, "with soft light")
    return f"{prompt.rstrip(' .')}, {_STYLE_PHRASES[style]} {quality_phrase}"


def make_picture(
    prompt: str, index: int, size: tuple[int, int], output_format: str = "png"
) -> bytes:
    """A gradient and four shapes whose colours and places come from a hash of prompt+index."""
    digest = hashlib.sha512(f"{index}:{prompt}".encode()).digest()
    colours = [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 18, 3)]
    width, height = size
    # Drawn at an eighth of the size and scaled up: fast, and smooth enough for a stand-in.
    small = (max(8, width // 8), max(8, height // 8))
    gradient = _gradient(small)
    picture = Image.composite(
        Image.new("RGB", small, colours[1]), Image.new("RGB", small, colours[0]), gradient
    )
    draw = ImageDraw.Draw(picture)
    for shape in range(4):
        x, y, radius, kind = digest[18 + 4 * shape : 22 + 4 * shape]
        x, y = x * small[0] // 256, y * small[1] // 256
        radius = (radius % 4 + 2) * min(small) // 16
        box = (x - radius, y - radius, x + radius, y + radius)
        if kind % 2:
            draw.ellipse(box, fill=colours[2 + shape])
        else:
            draw.rectangle(box, fill=colours[2 + shape])
    picture = picture.resize(size, Image.Resampling.BILINEAR)
    if output_format not in ("webp", "jpeg"):
        return unfiltered_png(picture)
    buffer = io.BytesIO()
    if output_format == "webp":
        picture.save(buffer, "WEBP", quality=80, method=0)
    else:
        picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@cache
def _gradient(size: tuple[int, int]) -> Image.Image:
    return Image.linear_gradient("L").resize(size)


def unfiltered_png(picture: Image.Image) -> bytes:
    """An RGB picture as a PNG whose rows are stored unfiltered, at zlib's fastest level: half
    the time Pillow's encoder takes choosing a filter for each row, for a few more bytes."""
    width, height = picture.size
    stride = width * 3
    pixels = picture.tobytes()
    rows = b"".join(
        b"\0" + pixels[start : start + stride] for start in range(0, len(pixels), stride)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows, 1))
        + _png_chunk(b"IEND", b"")
    )


def padded_chunks(head: bytes, total: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """`head` followed by zero bytes up to `total` bytes, in chunks (for the "huge" fault)."""
    yield head
    remaining = total - len(head)
    zeros = bytes(chunk_size)
    while remaining > 0:
        step = min(chunk_size, remaining)
        yield zeros[:step]
        remaining -= step


@cache
def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A valid 1-bit PNG declaring side x side pixels that compresses to about 100 KB."""
    row = bytes(1 + (side + 7) // 8)  # filter byte + packed black pixels
    rows_per_block = max(1, (1 << 20) // len(row))
    compressor = zlib.compressobj(9)
    full_blocks, rest = divmod(side, rows_per_block)
    parts = [compressor.compress(row * rows_per_block) for _ in range(full_blocks)]
    parts += [compressor.compress(row * rest), compressor.flush()]
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
