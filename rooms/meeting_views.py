"""The meeting page (/meetings/<id>/) and the access check the meeting's record pages share.

The transcript and summary parts of the page come from the transcripts and summaries apps'
inclusion tags (templates/rooms/meeting.html), so rooms imports neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rooms import selectors
from rooms.errors import MeetingHidden
from rooms.models import Meeting

View = Callable[..., HttpResponse]


def records_view(view: View) -> View:
    """Like login_required, but a guest's session (its guest_key) may pass too: the records rule
    (rooms.selectors) then decides, as for users."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and not request.session.get("guest_key"):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def meeting_for_viewer(request: HttpRequest, meeting_id: int, what: str) -> Meeting:
    """The meeting, for those the records rule allows (rooms.selectors); 403 for others."""
    try:
        meeting = selectors.viewable_meeting(
            request.user,  # type: ignore[arg-type]
            meeting_id,
            guest_key=request.session.get("guest_key", ""),
        )
    except MeetingHidden:
        raise PermissionDenied(
            f"Only the meeting's participants and the organization's admins see its {what}."
        ) from None
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


@records_view
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = meeting_for_viewer(request, meeting_id, "summary")
    context = {
        "meeting": meeting,
        "participants": selectors.participant_names(meeting),
        "is_host": selectors.is_room_host(request.user, meeting.room),  # type: ignore[arg-type]
    }
    return render(request, "rooms/meeting.html", context)
