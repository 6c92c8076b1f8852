"""The log handlers' filters and the JSON formatter (LOG_FORMAT=json)."""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from . import context

REDACTED = "[redacted]"


class ContextFilter(logging.Filter):
    """Adds the request, user and generation ids of the current work to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context.current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RedactSecrets(logging.Filter):
    """Replaces the values of secret settings wherever they appear in a record's text.

    Nothing logs them on purpose; this is the second line of defence, should an upstream error
    message or a traceback ever echo one back.
    """

    # Shorter values would turn ordinary words into "[redacted]".
    MIN_LENGTH = 8

    def __init__(self, settings: tuple[str, ...] = ("MKA1_API_KEY",)) -> None:
        super().__init__()
        self.setting_names = settings

    def _secrets(self) -> list[str]:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        try:
            values = [getattr(settings, name, "") for name in self.setting_names]
        except ImproperlyConfigured:
            return []  # a process without Django settings has none of these secrets
        return [
            value for value in values if isinstance(value, str) and len(value) >= self.MIN_LENGTH
        ]

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets()
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # logging reports the bad arguments itself when it formats the record
        if any(secret in message for secret in secrets):
            record.msg, record.args = _redact(message, secrets), ()
        if record.exc_info and record.exc_info[0] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in secrets):
                # The formatters use the text, already made and redacted, instead.
                record.exc_info, record.exc_text = None, _redact(text, secrets)
        return True


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def json_formatter(**options: Any) -> JsonFormatter:
    """One JSON object a line: time, level, logger, message, the context's ids and any extra
    fields of the record (Celery's, Django's)."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        # ISO 8601 in UTC, to the microsecond.
        timestamp="time",
        **options,
    )
