"""The audit log page and its CSV (owners and admins only)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import selectors
from dashboard.audit_forms import AuditFilterForm
from dashboard.views import csv_response, manager_of

ENTRIES_PER_PAGE = 50


def _filter(request: HttpRequest) -> tuple[AuditFilterForm, selectors.AuditFilter | None]:
    form = AuditFilterForm(request.GET or None)
    if not request.GET:
        return form, selectors.AuditFilter()
    return form, form.to_filter() if form.is_valid() else None


@login_required
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    org, me = manager_of(request, slug)
    form, f = _filter(request)
    page = None
    if f is not None:
        page = Paginator(selectors.audit_entries(org.id, f), ENTRIES_PER_PAGE).get_page(
            request.GET.get("page")
        )
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "dashboard/audit_log.html",
        {"org": org, "me": me, "form": form, "page": page, "query": query},
        status=200 if f is not None else 400,
    )


@login_required
def audit_csv(request: HttpRequest, slug: str) -> HttpResponse:
    org, _ = manager_of(request, slug)
    form, f = _filter(request)
    if f is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    return csv_response(selectors.audit_csv_rows(org.id, f), f"{org.slug}-audit-{stamp}.csv")
