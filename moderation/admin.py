"""Django admin for moderation: cases, reports, strikes and notices to look at. Every change
goes through Moderation's own pages and services, which record it, so nothing is edited here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.admin import ViewOnlyMixin

from .models import Case, Notice, Report, Strike


class ReportInline(ViewOnlyMixin, admin.TabularInline):
    model = Report
    fields = ("reporter", "reason", "note", "created_at")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).select_related("reporter")


@admin.register(Case)
class CaseAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "status", "subject_name", "report_count", "opened_at")
    list_filter = ("kind", "status")
    search_fields = ("subject_name", "prompt", "revised_prompt")
    fields = (
        "kind", "status", "subject", "subject_name", "image", "prompt", "revised_prompt",
        "thumbnail", "report_count", "opened_at", "reopened_at", "closed_at", "outcome",
        "appeal_text", "appealed_at", "version",
    )  # fmt: skip
    inlines = [ReportInline]


@admin.register(Report)
class ReportAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "case", "image_id", "reporter", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("reporter__username", "note", "case__subject_name")
    list_select_related = ("case", "reporter")


@admin.register(Strike)
class StrikeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "user", "case", "reason", "moderator_id", "created_at")
    search_fields = ("user__username", "reason")
    list_select_related = ("user", "case")


@admin.register(Notice)
class NoticeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "user", "kind", "case", "reason", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "reason")
    list_select_related = ("user", "case")
