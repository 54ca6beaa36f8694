from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminLoginForm
from conference import health
from conference.middleware import metrics_view
from conference.ratelimit import limit_logins

# The admin's log-in shares the limits of ours (set before admin.site.urls builds its views).
admin.site.login = limit_logins(admin.site.login)  # type: ignore[method-assign]
admin.site.login_form = AdminLoginForm  # the single sign-on rule holds on /admin/ too

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("oauth/", include("social_django.urls", namespace="social")),
    path("", include("accounts.urls")),
    path("", include("rooms.urls")),
    path("", include("transcripts.urls")),  # transcript pages and downloads
    path("", include("summaries.urls")),  # Summarize/Regenerate, Markdown download
    path("", include("dashboard.urls")),  # the organization dashboard, its rooms, the audit log
]
