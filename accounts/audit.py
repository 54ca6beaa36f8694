"""The one way to write the audit log (accounts.models.AuditEntry), and where "from where" comes from.

Call ``record`` inside the action's transaction: the entry commits with the action or not at all.
Services do not see requests, so ``AuditAddressMiddleware`` keeps the client address of the request
being served in a context variable (concurrent requests never mix them); a caller that knows better
(a host's WebSocket connection) passes ``address``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.models import AuditEntry, User
from conference.ratelimit import client_ip

Action = AuditEntry.Action

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


def record(
    *,
    organization_id: int,
    action: str,
    actor: User | None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    address: str | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """``actor`` None: the system (the retention task). ``address`` defaults to the request's."""
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry.objects.create(
        organization_id=organization_id,
        action=action,
        actor=actor,
        actor_name=(actor_name or (actor.username if actor else ""))[:150],
        target=target[:200],
        detail=detail or {},
        address=address or current_address(),
    )
