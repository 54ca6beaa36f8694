"""The client address of the request being served, for the audit log's "from where".

Services do not see requests; the middleware below sets the address for the request's duration
(a context variable, so concurrent requests of one process never mix them)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from conference.ratelimit import client_ip

_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_address", default=None)


def current_address() -> str | None:
    return _address.get()


class AuditAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _address.set(client_ip(request) or None)
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)
