"""Django admin for generations and images: history to look at, not to edit. A generation's
request, outcome and charge are what quotas and usage are counted from, and hiding an image
goes through Moderation, so both are view-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.admin import ViewOnlyMixin

from .models import SHARED, GeneratedImage, Generation, MissingImage


class GeneratedImageInline(ViewOnlyMixin, admin.TabularInline):
    model = GeneratedImage
    fields = ("index", "revised_prompt", "content_type", "width", "height", "byte_size")
    readonly_fields = fields
    extra = 0
    show_change_link = True


class MissingImageInline(ViewOnlyMixin, admin.TabularInline):
    model = MissingImage
    fields = ("index", "error_kind", "reason")
    readonly_fields = fields
    extra = 0


@admin.register(Generation)
class GenerationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id", "user", "team", "status", "model", "n", "charged", "size", "created_at",
        "finished_at", "error_kind",
    )  # fmt: skip
    list_filter = ("status", "error_kind", "model", "created_at")
    search_fields = ("prompt", "user__username", "upstream_request_id")
    list_select_related = ("user", "team")
    # Counting every generation on each page would be the slowest query of the page.
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("user", "team", "prompt", "remixed_from")}),
        ("Parameters", {"fields": ("model", "n", "size", "quality", "style", "response_format")}),
        ("Outcome", {"fields": ("status", "charged", "error_kind", "error_message", "attempts")}),
        (
            "Times",
            {"fields": ("created_at", "started_at", "responded_at", "finished_at", "api_ms")},
        ),
        (
            "Upstream",
            {
                "classes": ("collapse",),
                "fields": (
                    "upstream_status", "upstream_request_id", "upstream_created",
                    "upstream_response", "idempotency_key", "claim_token", "claims",
                    "lease_until",
                ),
            },
        ),
    )  # fmt: skip
    inlines = [GeneratedImageInline, MissingImageInline]


class TrashFilter(admin.SimpleListFilter):
    title = "trash"
    parameter_name = "trashed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In the trash"), ("no", "Not in the trash")]

    def queryset(self, request: HttpRequest, queryset: Any) -> QuerySet[GeneratedImage] | None:
        if self.value() == "yes":
            return queryset.trashed()
        if self.value() == "no":
            return queryset.alive()
        return None


class SharedFilter(admin.SimpleListFilter):
    title = "shared with a team"
    parameter_name = "shared"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Shared"), ("no", "Not shared")]

    def queryset(self, request: HttpRequest, queryset: Any) -> QuerySet[GeneratedImage] | None:
        if self.value() == "yes":
            return queryset.shared()
        if self.value() == "no":
            return queryset.exclude(SHARED)
        return None


class HiddenFilter(admin.SimpleListFilter):
    title = "hidden by a moderator"
    parameter_name = "hidden"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Hidden"), ("no", "Shown to others")]

    def queryset(self, request: HttpRequest, queryset: Any) -> QuerySet[GeneratedImage] | None:
        if self.value() == "yes":
            return queryset.hidden()
        if self.value() == "no":
            return queryset.shown()
        return None


@admin.register(GeneratedImage)
class GeneratedImageAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id", "user", "generation", "shared_team", "hidden_at", "withheld", "deleted_at",
        "created_at",
    )  # fmt: skip
    list_filter = (HiddenFilter, SharedFilter, TrashFilter)
    search_fields = ("generation__prompt", "revised_prompt", "user__username")
    list_select_related = ("user", "generation", "shared_team")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("user", "generation", "index", "revised_prompt")}),
        (
            "Library and moderation",
            {
                "fields": (
                    "shared_team", "shared_at", "hidden_at", "hidden_reason", "withheld",
                    "deleted_at",
                )
            },
        ),
        (
            "File",
            {
                "fields": (
                    "file", "thumbnail", "content_type", "width", "height", "byte_size", "model",
                    "size", "quality", "style", "created_at",
                )
            },
        ),
    )  # fmt: skip


@admin.register(MissingImage)
class MissingImageAdmin(admin.ModelAdmin):
    list_display = ("generation", "index", "error_kind", "reason")
    list_filter = ("error_kind",)
