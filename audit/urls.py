from django.urls import path

from audit import views

urlpatterns = [
    path("organizations/<slug:slug>/audit/", views.audit_log, name="audit_log"),
    path("organizations/<slug:slug>/audit.csv", views.audit_csv, name="audit_csv"),
]
