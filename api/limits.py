"""Counters and locks in the shared cache (Redis): per-token request rates, and the one request
at a time that may run under an idempotency key. Kept in Redis rather than in a process's
memory, so every gunicorn worker counts against the same figures."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
# An idempotency lock outlives a request that died holding it by this long at most.
LOCK_SECONDS = 60


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "120/minute" and the like; a ValueError says what is wrong."""
        match = RATE.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a rate such as 120/minute")
        return cls(int(match[1]), PERIODS[match[2]])


def _redis(cache: RedisCache) -> Any:
    """The cache's Redis client for writes, made once per cache object: Django's makes a new
    one for every call, which costs more CPU than the command it sends."""
    client = getattr(cache, "_limits_client", None)
    if client is None:
        # Writes always go to the first server, whatever the key.
        client = cache._cache.get_client("", write=True)
        cache._limits_client = client  # type: ignore[attr-defined]
    return client


def _count(key: str, ttl: int) -> int:
    """Add one to a counter that expires, in one round trip on Redis (two for its first)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = _redis(cache)
        count = int(client.incr(full_key))
        if count == 1:
            # The window is in the key's name: a counter left without its expiry (the process
            # died in between) counts for a window that has passed, and is never read again.
            client.expire(full_key, ttl)
        return count
    cache.add(key, 0, ttl)
    return int(cache.incr(key))


def rate_exceeded(name: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request against a fixed window of the rate; the seconds to wait when it is
    over the rate, else None."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    count = _count(f"api:rate:{name}:{window}", rate.seconds + 1)
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


class Busy(Exception):
    """Another request holds the lock."""


@contextmanager
def single_flight(name: str) -> Iterator[None]:
    """Hold a lock for the block; Busy when another request holds it already."""
    cache = caches["default"]
    key = f"api:lock:{name}"
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = _redis(cache)
        if not client.set(full_key, 1, nx=True, ex=LOCK_SECONDS):
            raise Busy(name)
        try:
            yield
        finally:
            client.delete(full_key)
        return
    if not cache.add(key, 1, LOCK_SECONDS):
        raise Busy(name)
    try:
        yield
    finally:
        cache.delete(key)
