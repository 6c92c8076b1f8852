"""Checks that the database and the broker answer, and says in one line how to fix it if not."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.utils import OperationalError
from kombu import Connection


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or 'localhost'}:{parts.port or ''}".rstrip(":")


class Command(BaseCommand):
    help = "Check that PostgreSQL and the Celery broker can be reached."

    def handle(self, *args: object, **options: object) -> None:
        db = settings.DATABASES["default"]
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.stderr.write(
                f"PostgreSQL at {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432} "
                f"(database {db.get('NAME')}) cannot be reached: {reason}. Start it "
                "(make setup does for a local one) or set DATABASE_URL."
            )
            sys.exit(1)
        broker = settings.CELERY_BROKER_URL
        try:
            with Connection(broker, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:  # noqa: BLE001 - any failure here means the same to the user
            self.stderr.write(
                f"The Celery broker at {_where(broker)} cannot be reached "
                f"({type(exc).__name__}). Start Redis or RabbitMQ (make setup starts a local "
                "Redis) or set CELERY_BROKER_URL."
            )
            sys.exit(1)
        self.stdout.write("PostgreSQL and the broker answer.")
