"""Meeting page with its summary; Summarize/Regenerate (hosts); Markdown download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rooms.models import Meeting
from rooms.selectors import is_room_host
from transcripts import selectors, summary_services
from transcripts.models import Summary


def _meeting_for(request: HttpRequest, meeting_id: int) -> Meeting:
    return selectors.viewable_meeting(request, meeting_id, "summary")


def can_summarize(user: object, meeting: Meeting) -> bool:
    return is_room_host(user, meeting.room)  # type: ignore[arg-type]  # creator, org owners/admins


def latest_summary(meeting: Meeting) -> Summary | None:
    return Summary.objects.filter(meeting=meeting).order_by("-version").first()


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    summary = latest_summary(meeting)
    participants: list[str] = []
    for name in meeting.participants.values_list("display_name", flat=True):
        if name not in participants:
            participants.append(name)
    context = {
        "meeting": meeting,
        "participants": participants,
        "summary": summary,
        "busy": summary is not None and summary.status in (Summary.Status.QUEUED, Summary.Status.RUNNING),
        "can_summarize": can_summarize(request.user, meeting),
    }
    return render(request, "transcripts/meeting.html", context)


@login_required
@require_POST
def summarize(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    if not can_summarize(request.user, meeting):
        raise PermissionDenied("Only the room's hosts can summarize its meetings.")
    summary_services.queue_summary(
        meeting=meeting, requested_by=request.user, regenerate=latest_summary(meeting) is not None
    )
    return redirect("meeting_detail", meeting_id=meeting.pk)


@login_required
def summary_markdown(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    summary = (
        Summary.objects.filter(meeting=meeting, status__in=[Summary.Status.DONE, Summary.Status.EMPTY])
        .order_by("-version")
        .first()
    )
    if summary is None:
        raise Http404("This meeting has no summary yet.")
    response = HttpResponse(
        summary_services.summary_markdown(summary), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-summary.md"'
    return response
