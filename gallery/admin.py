from django.contrib import admin

from .models import GeneratedImage, Generation, MissingImage


class GeneratedImageInline(admin.TabularInline):
    model = GeneratedImage
    fields = ("index", "revised_prompt", "content_type", "width", "height", "byte_size")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "status", "model", "n", "size", "created_at", "error_kind")
    list_filter = ("status", "error_kind", "model")
    search_fields = ("prompt", "user__username", "upstream_request_id")
    list_select_related = ("user",)
    readonly_fields = ("created_at", "started_at", "responded_at", "finished_at")
    inlines = [GeneratedImageInline]


@admin.register(MissingImage)
class MissingImageAdmin(admin.ModelAdmin):
    list_display = ("generation", "index", "error_kind", "reason")
    list_filter = ("error_kind",)
