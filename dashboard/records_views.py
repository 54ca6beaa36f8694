"""The retention policy page, and deleting or downloading one meeting's records."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.views import safe_next
from conference.errors import error_text
from dashboard import archive, retention, selectors
from dashboard.forms import RetentionForm
from dashboard.models import RetentionPolicy
from dashboard.views import manager_of
from rooms import selectors as room_selectors
from rooms.meeting_views import meeting_for_viewer, records_view
from rooms.models import Meeting


@login_required
def retention_policy(request: HttpRequest, slug: str) -> HttpResponse:
    org, me = manager_of(request, slug)
    policy = retention.policy_of(org)
    initial = {k: getattr(policy, k) for k in RetentionPolicy.KINDS}
    form = RetentionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            retention.set_policy(organization=org, by=request.user, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as e:
            form.add_error(None, error_text(e))
        else:
            messages.success(request, "Retention policy saved.")
            return redirect("dashboard_retention", slug=org.slug)
    return render(
        request,
        "dashboard/retention.html",
        {"org": org, "me": me, "form": form, "policy": policy},
        status=400 if form.errors else 200,
    )


@login_required
def delete_records(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """GET: what would go, and the button; POST: delete it (the room's hosts only)."""
    meeting = get_object_or_404(Meeting.objects.select_related("room__organization"), pk=meeting_id)
    if not room_selectors.is_room_host(request.user, meeting.room):  # type: ignore[arg-type]
        raise PermissionDenied(
            "Only the room's hosts and the organization's owners and admins delete its records."
        )
    if request.method == "POST":
        try:
            deleted = retention.delete_meeting_records(meeting=meeting, by=request.user)
        except ValidationError as e:
            messages.error(request, error_text(e))
        else:
            messages.success(
                request,
                f"Deleted {deleted.segments} transcript lines, {deleted.chat_messages} chat messages and "
                f"{deleted.summaries} summaries of this meeting.",
            )
            return redirect(safe_next(request, f"/organizations/{meeting.room.organization.slug}/dashboard/"))
    counts = selectors.record_counts(meeting)
    return render(
        request,
        "dashboard/delete_records.html",
        {"meeting": meeting, "counts": counts, "next": safe_next(request, "")},
    )


@records_view
def meeting_archive(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Everything of the meeting as one zip, for whoever may read its records (guests included)."""
    meeting = meeting_for_viewer(request, meeting_id, "records")
    response = HttpResponse(archive.meeting_archive(meeting), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.zip"'
    return response
