"""Personal API tokens as strings: made here, and known again by their SHA-256 digest.

A token is `mka1_` + 8 visible characters + a secret of 43; only its digest is stored, so a
lookup is one indexed equality and never the password hasher (which costs 0.2 s on purpose).
Nothing here touches the database."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

SCHEME = "mka1_"
VISIBLE_LENGTH = 8
# token_urlsafe(32): 32 random bytes, 43 characters.
SECRET_LENGTH = 43
TOKEN_LENGTH = len(SCHEME) + VISIBLE_LENGTH + SECRET_LENGTH


@dataclass(frozen=True)
class NewToken:
    """A token just made: the whole string is shown once, the prefix and digest are kept."""

    token: str
    prefix: str
    digest: str


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> NewToken:
    prefix = secrets.token_urlsafe(6)[:VISIBLE_LENGTH]
    token = f"{SCHEME}{prefix}{secrets.token_urlsafe(32)}"
    return NewToken(token=token, prefix=prefix, digest=digest_of(token))


def looks_like_token(text: str) -> bool:
    """Whether text has a token's shape, so that no query is spent on anything else."""
    return len(text) == TOKEN_LENGTH and text.startswith(SCHEME) and text.isascii()
