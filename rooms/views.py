from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_ratelimit.decorators import ratelimit

from conference import protocol
from conference.errors import error_text
from conference.ratelimit import ip_key, user_or_ip_key
from rooms import selectors, services
from rooms.forms import GuestForm, RoomForm
from rooms.models import Room
from rooms.names import clean_guest_name


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "rooms/welcome.html")
    return render(
        request,
        "rooms/home.html",
        {"form": RoomForm(user=request.user), "rooms": selectors.rooms_for_user(request.user)},
    )


@login_required
@ratelimit(key=user_or_ip_key, rate="30/m", method="POST", block=True)
def create_room(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            room = services.create_room(
                organization=form.cleaned_data["organization"],
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
                waiting_room=form.cleaned_data["waiting_room"],
                created_by=request.user,
            )
        except (PermissionDenied, ValidationError) as e:
            form.add_error(None, error_text(e))
        else:
            # The host sees the room's link at once, ready to share.
            link = request.build_absolute_uri(room.get_absolute_url())
            messages.success(request, f"Room created. Invite people with this link: {link}")
            return redirect(room.get_absolute_url())
    return render(request, "rooms/home.html", {"form": form, "rooms": selectors.rooms_for_user(request.user)})


ROOM_NOT_FOUND = "No such room, or not one you may enter."


def _session_guest_name(request: HttpRequest) -> str:
    """The guest's name from the session, "" when there is none or it no longer passes (a session
    from before the rule): the guest form then asks again."""
    try:
        return clean_guest_name(request.session.get("guest_name", ""))
    except ValidationError:
        return ""


@ratelimit(key=ip_key, rate="20/m", method="POST", block=True)
def room(request: HttpRequest, slug: str) -> HttpResponse:
    """The room page. A missing room and a members-only room the visitor may not enter get the
    same answer, so room URLs cannot be probed: the log-in page for anonymous visitors (a member
    who is not signed in comes back here after logging in), 404 for signed-in outsiders."""
    room = Room.objects.select_related("organization").filter(slug=slug).first()
    user = request.user if request.user.is_authenticated else None
    guest_name = _session_guest_name(request) if user is None else ""
    if room is None or not selectors.can_enter_room(user, room, guest_name=guest_name):
        if room is not None and room.access == Room.Access.LINK:  # anyone with the link: ask for a name
            form = GuestForm(request.POST or None)
            if request.method == "POST" and form.is_valid():
                request.session["guest_name"] = form.cleaned_data["name"]
                request.session.setdefault("guest_key", secrets.token_urlsafe(16))
                return redirect(room.get_absolute_url())
            return render(request, "rooms/guest.html", {"room": room, "form": form})
        if user is None:
            return redirect_to_login(request.get_full_path())
        raise Http404(ROOM_NOT_FOUND)
    display_name = user.name if user else guest_name
    is_host = selectors.is_room_host(user, room)
    config = {
        "slug": room.slug,
        "wsPath": f"/ws/rooms/{room.slug}/",
        "iceServers": settings.SFU_ICE_SERVERS,  # TURN credentials come with `joined`, per participant
        "iceTransportPolicy": settings.SFU_ICE_TRANSPORT_POLICY,
        "displayName": display_name,
        "isHost": is_host,
        "transcriptsUrl": reverse("meetings"),
        "protocol": protocol.client_config(),
        "testHooks": settings.CLIENT_TEST_HOOKS,
        "inviteUrl": request.build_absolute_uri(room.get_absolute_url()),
    }
    context = {
        "room": room,
        "is_host": is_host,
        "display_name": display_name,
        "config": config,
        "reactions": list(protocol.REACTIONS.items()),
    }
    return render(request, "rooms/room.html", context)


@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    items = selectors.meetings_for_user(request.user).order_by("-started_at")[:100]
    return render(request, "rooms/meetings.html", {"meetings": items})
