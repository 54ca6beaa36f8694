from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rooms.meeting_views import meeting_for_viewer, records_view
from rooms.models import Meeting
from transcripts import formats, selectors
from transcripts.models import Transcript

MAX_QUERY = 200


def _meeting_for(request: HttpRequest, meeting_id: int) -> Meeting:
    return meeting_for_viewer(request, meeting_id, "transcript")


@records_view
def transcript(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    segments = list(selectors.segments_of(meeting, q=q))
    context = {
        "meeting": meeting,
        "transcript": selectors.transcript_of(meeting),
        "segments": segments,
        "q": q,
    }
    return render(request, "transcripts/transcript.html", context)


@records_view
def download(request: HttpRequest, meeting_id: int, fmt: str) -> HttpResponse:
    meeting = _meeting_for(request, meeting_id)
    segments = list(selectors.segments_of(meeting))
    if fmt == "txt":
        body, content_type = formats.as_text(meeting, segments), "text/plain; charset=utf-8"
    elif fmt == "vtt":
        body, content_type = formats.as_vtt(segments), "text/vtt; charset=utf-8"
    elif fmt == "json":
        t = selectors.transcript_of(meeting)
        status = t.status if t else Transcript.Status.LIVE
        body, content_type = formats.as_json(meeting, status, segments), "application/json"
    else:
        raise Http404("Unknown transcript format")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}-transcript.{fmt}"'
    return response
