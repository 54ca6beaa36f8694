from django.urls import path, re_path

from transcripts import views

urlpatterns = [
    path("meetings/<int:meeting_id>/transcript/", views.transcript, name="transcript"),
    re_path(
        r"^meetings/(?P<meeting_id>[0-9]+)/transcript\.(?P<fmt>txt|vtt|json)$",
        views.download,
        name="transcript_download",
    ),
]
