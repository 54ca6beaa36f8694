from django.urls import path

from rooms import meeting_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/new/", views.create_room, name="create_room"),
    path("rooms/<slug:slug>/", views.room, name="room"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:meeting_id>/", meeting_views.meeting_detail, name="meeting_detail"),
]
