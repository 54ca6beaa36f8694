"""The organization dashboard's pages and downloads (owners and admins only)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.models import Membership, Organization
from dashboard import charts, selectors

MEETINGS_PER_PAGE = 25
RANGE_ERROR = "Choose a range of 7, 30 or 90 days, per day or per week."


def manager_of(request: HttpRequest, slug: str) -> tuple[Organization, Membership]:
    """The organization and the viewer's membership; 403 unless they own or administer it."""
    org = get_object_or_404(Organization, slug=slug)
    me = Membership.objects.filter(organization=org, user=request.user).first()
    if me is None or not me.is_manager:
        raise PermissionDenied("Only the organization's owners and admins see its dashboard.")
    return org, me


def _period(request: HttpRequest) -> tuple[selectors.Period, str]:
    """The chosen range and grouping, or the default one with the error to show."""
    try:
        days = int(request.GET.get("range", selectors.DEFAULT_RANGE))
        return selectors.period(days, request.GET.get("by", selectors.DEFAULT_GROUPING)), ""
    except ValueError:
        return selectors.period(selectors.DEFAULT_RANGE, selectors.DEFAULT_GROUPING), RANGE_ERROR


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    """Rows streamed as CSV, so a long export never sits whole in memory."""
    writer = csv.writer(_Echo())
    body: Iterator[str] = (writer.writerow(r) for r in rows)
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    org, me = manager_of(request, slug)
    p, error = _period(request)
    u = selectors.usage(org.id, p)
    page = Paginator(selectors.meeting_list(org.id, p.since), MEETINGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "org": org,
        "me": me,
        "usage": u,
        "period": p,
        "error": error,
        "ranges": selectors.RANGES,
        "groupings": selectors.GROUPINGS,
        "metrics": [(k, label, u.totals[k]) for k, label in selectors.METRICS],
        "charts": [
            charts.bar_chart(k, label, u.series(k), grouping=p.grouping) for k, label in selectors.METRICS
        ],
        "page": page,
        "query": f"range={p.days}&by={p.grouping}",
    }
    return render(request, "dashboard/dashboard.html", context, status=400 if error else 200)


@login_required
def usage_csv(request: HttpRequest, slug: str) -> HttpResponse:
    org, _ = manager_of(request, slug)
    p, error = _period(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    return csv_response(
        selectors.usage_csv_rows(selectors.usage(org.id, p)),
        f"{org.slug}-usage-{p.days}d-{p.grouping}-{stamp}.csv",
    )


@login_required
def meetings_csv(request: HttpRequest, slug: str) -> HttpResponse:
    org, _ = manager_of(request, slug)
    p, error = _period(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    return csv_response(
        selectors.meeting_csv_rows(org.id, p.since), f"{org.slug}-meetings-{p.days}d-{stamp}.csv"
    )
