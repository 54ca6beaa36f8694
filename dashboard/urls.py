from django.urls import path

from dashboard import views

urlpatterns = [
    path("organizations/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("organizations/<slug:slug>/dashboard/usage.csv", views.usage_csv, name="dashboard_usage_csv"),
    path(
        "organizations/<slug:slug>/dashboard/meetings.csv", views.meetings_csv, name="dashboard_meetings_csv"
    ),
]
