"""The audit log as CSV that a spreadsheet opens without running anything in it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from audit.models import AuditEntry

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AUDIT_COLUMNS = (
    "created_at", "actor_id", "actor_name", "action", "target_type", "target_id",
    "target_name", "reason", "source", "details",
)  # fmt: skip


def csv_safe(value: Any) -> str:
    """The value as text, with a quote in front if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def audit_csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(AUDIT_COLUMNS)
    for entry in entries:
        cells = (
            entry.created_at.isoformat(), entry.actor_id, entry.actor_name, entry.action,
            entry.target_type, entry.target_id, entry.target_name, entry.reason, entry.source,
            json.dumps(entry.details, sort_keys=True),
        )  # fmt: skip
        yield writer.writerow([csv_safe(cell) for cell in cells])
