"""Summarize/Regenerate (hosts) and the Markdown download; the meeting page itself is rooms'."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from rooms.meeting_views import meeting_for_viewer, records_view
from rooms.models import Meeting
from summaries import selectors, services


def _meeting_for(request: HttpRequest, meeting_id: int) -> Meeting:
    return meeting_for_viewer(request, meeting_id, "summary")


@login_required
@require_POST
def summarize(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    if not selectors.can_summarize(request.user, meeting):  # type: ignore[arg-type]
        raise PermissionDenied("Only the room's hosts can summarize its meetings.")
    services.queue_summary(
        meeting=meeting, requested_by=request.user, regenerate=selectors.latest_summary(meeting) is not None
    )
    return redirect("meeting_detail", meeting_id=meeting.pk)


@records_view
def summary_markdown(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    summary = selectors.downloadable_summary(meeting)
    if summary is None:
        raise Http404("This meeting has no summary yet.")
    response = HttpResponse(services.summary_markdown(summary), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-summary.md"'
    return response
