from django.contrib import admin

from summaries.models import Summary


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "meeting",
        "version",
        "status",
        "model_name",
        "created_at",
        "updated_at",
        "emailed_at",
    )
    list_filter = ("status", "model_name", "created_at")
    search_fields = ("meeting__room__name", "summary", "error")
    raw_id_fields = ("meeting",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
