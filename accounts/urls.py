from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("organizations/new/", views.create_organization, name="create_organization"),
    path("organizations/<slug:slug>/", views.organization, name="organization"),
    path("organizations/<slug:slug>/settings/", views.organization_settings, name="organization_settings"),
    path("organizations/<slug:slug>/members/<int:membership_id>/", views.member_update, name="member_update"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
