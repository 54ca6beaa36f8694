from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "actor_name", "action", "target", "address")
    list_filter = ("action",)
    search_fields = ("actor_name", "target")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # written by the services only

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
