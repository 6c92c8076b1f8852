"""The audit log in Django admin: to read, filter and search. It is append-only (a database
trigger refuses UPDATE and DELETE), so admin offers no add, change or delete either."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry


class ViewOnlyMixin:
    """Listed and shown, never added, changed or deleted through admin (also used for the
    history kept by the gallery and moderation)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at", "actor_name", "action", "target_type", "target_id", "target_name",
        "reason", "source",
    )  # fmt: skip
    list_filter = ("action", "source", "target_type")
    search_fields = ("actor_name", "target_name", "reason")
    # Counting the whole log on each page would be the slowest query of the page.
    show_full_result_count = False
