"""Asking the broker (Redis or RabbitMQ, through kombu) whether it answers and how much waits."""

from __future__ import annotations

import math
from typing import Any

from kombu import Connection


def _connection(url: str, timeout: float) -> Connection:
    return Connection(
        url,
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    )


def broker_check(url: str, *, timeout: float) -> None:
    """Connect and open a channel (Redis answers a PING); raises when the broker does not."""
    with _connection(url, timeout) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=math.ceil(timeout))
        connection.default_channel  # noqa: B018 - opening it is the check


def queue_depth(url: str, queue: str, *, timeout: float) -> int:
    """Messages waiting in the queue (not those a worker holds): a passive declare, which is
    LLEN on Redis and the queue's message count on RabbitMQ. A queue that does not exist yet
    holds nothing."""
    with _connection(url, timeout) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=math.ceil(timeout))
        channel: Any = connection.channel()
        try:
            _, messages, _ = channel.queue_declare(queue=queue, passive=True)
        except connection.channel_errors:
            return 0
        finally:
            channel.close()
        return int(messages)
