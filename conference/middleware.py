"""Request ids for HTTP, and the web's ``/metrics`` for the allowed addresses only.

``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` (a load balancer's) when it looks like
an id, makes one otherwise, binds it for every log line of the request (conference.logs), returns
it in the response's ``X-Request-ID`` and logs one access line. The line names the URL pattern
(``rooms/<slug:slug>/``), never the path: room links and invitation links carry tokens.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

from conference import logs
from conference.ratelimit import client_ip

logger = logging.getLogger("conference.access")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
QUIET_ROUTES = {"metrics", "healthz", "readyz"}  # probes and scrapes every few seconds


def request_id_from(header: str | None) -> str:
    # A log correlation id, not a secret: no system call for randomness on every request.
    return header if header and _VALID_ID.fullmatch(header) else f"{random.getrandbits(64):016x}"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.monotonic()
        with logs.bound(request_id=request_id):
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            name = match.url_name if match is not None else None
            if name not in QUIET_ROUTES:
                logger.info(
                    "%s %s %s %.1f ms",
                    request.method,
                    match.route if match is not None else "(unmatched)",
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                    extra={"status": response.status_code, "route": match.route if match else ""},
                )
        return response


def metrics_allowed(address: str) -> bool:
    """Whether ``address`` falls in METRICS_ALLOW_FROM (addresses or networks)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.METRICS_ALLOW_FROM:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    """django-prometheus's export, to METRICS_ALLOW_FROM only (the client address as the rate
    limits see it: behind TRUSTED_PROXY_HOPS proxies, the address the outermost proxy saw)."""
    from django_prometheus.exports import ExportToDjangoView

    if not metrics_allowed(client_ip(request)):
        return HttpResponseForbidden("Metrics are not served to this address.")
    return ExportToDjangoView(request)
