"""The organization's rooms: a list with last use and size, and each room's settings, archive and
deletion. Owners and admins manage every room; a member sees and manages the rooms they created."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Membership, Organization
from conference.errors import error_text
from dashboard import selectors, services
from dashboard.forms import DeleteRoomForm, RoomSettingsForm
from rooms.models import Room

ROOMS_PER_PAGE = 25


def _member_of(request: HttpRequest, slug: str) -> tuple[Organization, Membership]:
    org = get_object_or_404(Organization, slug=slug)
    me = Membership.objects.filter(organization=org, user=request.user).first()
    if me is None:
        raise PermissionDenied("Only the organization's members see its rooms.")
    return org, me


def _room_for(request: HttpRequest, org: Organization, me: Membership, room_id: int) -> Room:
    room = get_object_or_404(Room, pk=room_id, organization=org)
    if not me.is_manager and room.created_by_id != request.user.id:
        raise PermissionDenied(
            "Only the room's creator and the organization's owners and admins can change it."
        )
    return room


@login_required
def rooms(request: HttpRequest, slug: str) -> HttpResponse:
    org, me = _member_of(request, slug)
    search = request.GET.get("q", "").strip()[:100]
    archived = request.GET.get("archived") == "1"
    listing = selectors.room_list(
        org.id, search=search, archived=archived, created_by=None if me.is_manager else request.user.id
    )
    page = Paginator(listing, ROOMS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("q", search), ("archived", "1" if archived else "")) if v})
    return render(
        request,
        "dashboard/rooms.html",
        {"org": org, "me": me, "page": page, "search": search, "archived": archived, "query": query},
    )


@login_required
def room_settings(request: HttpRequest, slug: str, room_id: int) -> HttpResponse:
    org, me = _member_of(request, slug)
    room = _room_for(request, org, me, room_id)
    initial = {
        "name": room.name,
        "access": room.access,
        "max_participants": room.max_participants,
        "waiting_room": room.waiting_room,
    }
    form = RoomSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action in ("archive", "unarchive"):
                services.set_archived(room=room, by=request.user, archived=action == "archive")
                messages.success(
                    request, f"{room.name} is {'archived' if action == 'archive' else 'back in use'}."
                )
                return redirect("dashboard_room", slug=org.slug, room_id=room.id)
            if form.is_valid():
                room = services.update_room(room=room, by=request.user, **form.cleaned_data)
                messages.success(request, f"{room.name} saved.")
                return redirect("dashboard_room", slug=org.slug, room_id=room.id)
        except (PermissionDenied, ValidationError) as e:
            form.add_error(None, error_text(e))
    return render(request, "dashboard/room.html", {"org": org, "me": me, "room": room, "form": form})


@login_required
def room_delete(request: HttpRequest, slug: str, room_id: int) -> HttpResponse:
    org, me = _member_of(request, slug)
    room = _room_for(request, org, me, room_id)
    form = DeleteRoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_room(room=room, by=request.user, confirm_name=form.cleaned_data["confirm_name"])
        except (PermissionDenied, ValidationError) as e:
            form.add_error("confirm_name", error_text(e))
        else:
            messages.success(request, f"{room.name} and its records were deleted.")
            return redirect("dashboard_rooms", slug=org.slug)
    cost = selectors.deletion_cost(room)
    return render(
        request,
        "dashboard/room_delete.html",
        {"org": org, "me": me, "room": room, "form": form, "cost": cost},
        status=400 if form.errors else 200,
    )
