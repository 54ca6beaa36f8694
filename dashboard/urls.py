from django.urls import path

from dashboard import audit_views, records_views, room_views, views

urlpatterns = [
    path("organizations/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("organizations/<slug:slug>/dashboard/usage.csv", views.usage_csv, name="dashboard_usage_csv"),
    path(
        "organizations/<slug:slug>/dashboard/meetings.csv", views.meetings_csv, name="dashboard_meetings_csv"
    ),
    path("organizations/<slug:slug>/rooms/", room_views.rooms, name="dashboard_rooms"),
    path("organizations/<slug:slug>/rooms/<int:room_id>/", room_views.room_settings, name="dashboard_room"),
    path(
        "organizations/<slug:slug>/rooms/<int:room_id>/delete/",
        room_views.room_delete,
        name="dashboard_room_delete",
    ),
    path("organizations/<slug:slug>/audit/", audit_views.audit_log, name="audit_log"),
    path("organizations/<slug:slug>/audit.csv", audit_views.audit_csv, name="audit_csv"),
    path("organizations/<slug:slug>/retention/", records_views.retention_policy, name="dashboard_retention"),
    path(
        "meetings/<int:meeting_id>/records/delete/",
        records_views.delete_records,
        name="meeting_records_delete",
    ),
    path("meetings/<int:meeting_id>/archive.zip", records_views.meeting_archive, name="meeting_archive"),
]
