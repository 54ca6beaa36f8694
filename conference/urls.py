from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("oauth/", include("social_django.urls", namespace="social")),
    path("", include("accounts.urls")),
    path("", include("rooms.urls")),
    path("", include("transcripts.urls")),  # transcript pages and downloads
    path("", include("summaries.urls")),  # Summarize/Regenerate, Markdown download
]
