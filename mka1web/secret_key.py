"""The secret key: from the environment, else from a file made once for this installation."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# The constant earlier versions fell back to: public, so it signs nothing in production.
KNOWN_KEYS = frozenset({"django-insecure-local-development-only"})
# Django's own rules for a usable key (its check security.W009).
INSECURE_PREFIX = "django-insecure-"
MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5


def weakness(key: str) -> str | None:
    """Why this key must not sign anything in production, or None when it may."""
    if not key:
        return "it is empty"
    if key in KNOWN_KEYS:
        return "it is a published development key"
    if key.startswith(INSECURE_PREFIX):
        return f"it starts with {INSECURE_PREFIX!r}, the mark of a key not meant for production"
    if len(key) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return f"it has fewer than {MIN_UNIQUE_CHARACTERS} different characters"
    return None


def read_or_create(path: Path) -> str:
    """The key kept in path, written there first (readable by its owner only) when missing.

    Processes starting together agree on one key: each writes a file of its own and links it
    into place, the first link wins and the others read the winner's key.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
