from django.urls import path

from transcripts import summary_views

urlpatterns = [
    path("meetings/<int:meeting_id>/", summary_views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:meeting_id>/summarize/", summary_views.summarize, name="meeting_summarize"),
    path("meetings/<int:meeting_id>/summary.md", summary_views.summary_markdown, name="meeting_summary_md"),
]
