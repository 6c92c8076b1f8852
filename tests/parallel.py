"""Requests sent at once from several threads, each thread on its own database connection, so
that what the database serializes (row locks) is all that orders them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import User
from django.db import connections
from django.http import HttpResponse
from django.test import Client

from mka1web.celery import app


def post_at_once(user: User, path: str, forms: list[dict[str, Any]]) -> list[HttpResponse]:
    """POST each form as `user` from a thread of its own, all released together."""
    clients = []
    for _ in forms:
        client = Client()
        client.force_login(user)
        clients.append(client)
    start = threading.Barrier(len(forms))

    def post(client: Client, form: dict[str, Any]) -> HttpResponse:
        try:
            start.wait()
            return client.post(path, form)  # type: ignore[return-value]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, clients, forms))


@contextmanager
def unconsumed_queue(prefix: str) -> Iterator[str]:
    """A queue no worker consumes (what is sent there waits), emptied afterwards."""
    name = f"{prefix}-unconsumed-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(name)
