from django.urls import path

from rooms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/new/", views.create_room, name="create_room"),
    path("rooms/<slug:slug>/", views.room, name="room"),
    path("meetings/", views.meetings, name="meetings"),
]
