from django.contrib import admin

from rooms.models import Admission, ChatMessage, Meeting, Participant, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "organization",
        "access",
        "waiting_room",
        "locked",
        "created_by",
        "created_at",
    )
    list_filter = ("access", "waiting_room", "locked", "organization")
    search_fields = ("name", "slug", "organization__name")


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ("display_name", "user", "is_host", "joined_at", "left_at", "left_reason")
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("room", "started_at", "ended_at", "duration", "participant_count", "sfu_worker")
    list_filter = ("room__organization", "started_at")
    search_fields = ("room__name", "participants__display_name")
    date_hierarchy = "started_at"
    inlines = [ParticipantInline]

    @admin.display(description="participants")
    def participant_count(self, obj: Meeting) -> int:
        return obj.participants.count()

    @admin.display(description="duration")
    def duration(self, obj: Meeting) -> str:
        if obj.ended_at is None:
            return "live"
        seconds = int((obj.ended_at - obj.started_at).total_seconds())
        return f"{seconds // 60} min {seconds % 60:02d} s"


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("display_name", "meeting", "user", "is_host", "joined_at", "left_at", "left_reason")
    list_filter = ("is_host", "left_reason", "meeting__room__organization")
    search_fields = ("display_name", "user__username", "meeting__room__name")


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("author_name", "text", "meeting", "created_at")
    list_filter = ("meeting__room__organization",)
    search_fields = ("author_name", "text", "meeting__room__name")


@admin.register(Admission)
class AdmissionAdmin(admin.ModelAdmin):
    list_display = ("display_name", "room", "state", "decided_by", "meeting", "created_at")
    list_filter = ("state", "room__organization")
    search_fields = ("display_name", "room__name")
