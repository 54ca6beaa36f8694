from django.urls import path

from summaries import views

urlpatterns = [
    path("meetings/<int:meeting_id>/summarize/", views.summarize, name="meeting_summarize"),
    path("meetings/<int:meeting_id>/summary.md", views.summary_markdown, name="meeting_summary_md"),
]
