"""Reading the audit log: filtered, newest first, in keyset pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def audit_entries(filters: AuditFilters) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if filters.actor:
        by_id = Q(actor_id=int(filters.actor)) if filters.actor.isdecimal() else Q()
        entries = entries.filter(Q(actor_name__iexact=filters.actor) | by_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    if filters.target_id is not None:
        entries = entries.filter(target_id=filters.target_id)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        entries = entries.filter(created_at__gte=datetime.combine(filters.date_from, time(), zone))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), zone)
        entries = entries.filter(created_at__lt=end)
    return entries.order_by("-created_at", "-id")


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    # The last row's (created_at, id), where the next page starts.
    next_after: tuple[datetime, int] | None


def audit_page(
    filters: AuditFilters, after: tuple[datetime, int] | None = None, size: int = 50
) -> AuditPage:
    entries = audit_entries(filters)
    if after is not None:
        moment, pk = after
        entries = entries.filter(created_at__lte=moment).filter(
            Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk)
        )
    rows = list(entries[: size + 1])
    following = (rows[size - 1].created_at, rows[size - 1].pk) if len(rows) > size else None
    return AuditPage(rows[:size], following)


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by().values_list("action", flat=True).distinct())


def audit_rows_for_export(filters: AuditFilters) -> Iterator[AuditEntry]:
    return audit_entries(filters).iterator(chunk_size=1000)
