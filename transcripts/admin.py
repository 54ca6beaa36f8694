from django.contrib import admin

from transcripts.models import Segment, Transcript


class SegmentInline(admin.TabularInline):
    model = Segment
    fields = ("start", "end", "speaker", "text")
    readonly_fields = ("start", "end", "speaker")
    extra = 0
    show_change_link = True


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ("meeting", "status", "finals_done", "finals_expected", "created_at", "completed_at")
    list_filter = ("status", "created_at")
    search_fields = ("meeting__room__name", "segments__text", "segments__speaker")
    readonly_fields = ("created_at", "completed_at")
    raw_id_fields = ("meeting",)
    date_hierarchy = "created_at"
    inlines = [SegmentInline]

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        qs, _ = super().get_search_results(request, queryset, search_term)
        return qs.distinct(), False  # searching segments joins many rows per transcript


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("transcript", "start", "end", "speaker", "short_text")
    list_filter = ("transcript__status",)
    search_fields = ("text", "speaker", "transcript__meeting__room__name")
    raw_id_fields = ("transcript", "participant")
    list_select_related = ("transcript__meeting__room",)

    @admin.display(description="text")
    def short_text(self, obj: Segment) -> str:
        return obj.text[:80]
