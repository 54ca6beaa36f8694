"""The meeting page (/meetings/<id>/) and the access check the meeting's record pages share.

The transcript and summary parts of the page come from the transcripts and summaries apps'
inclusion tags (templates/rooms/meeting.html), so rooms imports neither.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rooms import selectors
from rooms.errors import MeetingHidden
from rooms.models import Meeting


def meeting_for_viewer(request: HttpRequest, meeting_id: int, what: str) -> Meeting:
    """The meeting, for its participants and the organization's owners/admins; 403 for others."""
    try:
        meeting = selectors.viewable_meeting(request.user, meeting_id)  # type: ignore[arg-type]
    except MeetingHidden:
        raise PermissionDenied(
            f"Only the meeting's participants and the organization's admins see its {what}."
        ) from None
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = meeting_for_viewer(request, meeting_id, "summary")
    context = {"meeting": meeting, "participants": selectors.participant_names(meeting)}
    return render(request, "rooms/meeting.html", context)
