"""Who and what a log line is about: the request, the user and the generation being worked on.

Set by the request middleware and around each Celery task, read by the log filter and carried
from a request to the tasks it sends in a message header.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

FIELDS = ("request_id", "user_id", "generation_id")
_VARS: dict[str, ContextVar[Any]] = {name: ContextVar(name, default=None) for name in FIELDS}
# What a client may send as X-Request-ID: a short token with no spaces or markup.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def current() -> dict[str, Any]:
    """The context of this thread's work, with None for what is not known."""
    return {name: var.get() for name, var in _VARS.items()}


def bind(**values: Any) -> list[Token[Any]]:
    """Set fields (names from FIELDS) until the returned tokens are reset."""
    return [_VARS[name].set(value) for name, value in values.items()]


def reset(tokens: list[Token[Any]]) -> None:
    for token in reversed(tokens):
        token.var.reset(token)


def clear() -> None:
    for var in _VARS.values():
        var.set(None)


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    tokens = bind(**values)
    try:
        yield
    finally:
        reset(tokens)


def request_id_from(header: str | None) -> str:
    """The client's request id when it is a valid one, otherwise a new one."""
    if header and REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex
