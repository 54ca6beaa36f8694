"""Client addresses behind reverse proxies, and the keys of every django-ratelimit limit.

Each proxy appends the address it received the request from to X-Forwarded-For, so with
TRUSTED_PROXY_HOPS = N proxies of ours in front of Daphne, the N-th entry from the right was
written by our outermost proxy and is the client's address. Everything to its left came from the
client and may be forged; entries to its right are our own proxies. With N = 0 the header is
ignored and REMOTE_ADDR is the client. Daphne runs without ``--proxy-headers``: it would trust
the left-most entry, which is exactly the one a client can forge.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit


def client_address(remote_addr: str, forwarded_for: str | None, hops: int | None = None) -> str:
    """The client's address, from the connection's peer and the X-Forwarded-For header."""
    hops = settings.TRUSTED_PROXY_HOPS if hops is None else hops
    if hops <= 0 or not forwarded_for:
        return remote_addr
    entries = [e.strip() for e in forwarded_for.split(",") if e.strip()]
    if not entries:
        return remote_addr
    # Fewer entries than proxies: the request skipped an outer proxy; the left-most entry was
    # still written by one of ours.
    candidate = entries[-hops] if len(entries) >= hops else entries[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # "unknown", a port, garbage: never a key an attacker chooses freely
        return remote_addr


def client_ip(request: HttpRequest) -> str:
    """For RATELIMIT_IP_META_KEY and the key functions below."""
    return client_address(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR"))


def scope_client_ip(scope: dict[str, Any]) -> str:
    """The same for an ASGI scope (a WebSocket connection)."""
    client = scope.get("client") or ("", 0)
    headers: Iterable[tuple[bytes, bytes]] = scope.get("headers") or []
    forwarded = ",".join(v.decode("latin-1") for k, v in headers if k.lower() == b"x-forwarded-for")
    return client_address(str(client[0]), forwarded or None)


def ip_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def user_or_ip_key(group: str, request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return client_ip(request)


def username_key(group: str, request: HttpRequest) -> str:
    """The username typed into a log-in form (case-insensitive, as people retype it)."""
    return "username:" + request.POST.get("username", "").strip().lower()[:150]


def setting_rate(name: str) -> Callable[[str, HttpRequest], str]:
    """A rate read from settings at request time (so override_settings and env changes apply)."""

    def rate(group: str, request: HttpRequest) -> str:
        return getattr(settings, name)

    return rate


def limit_logins(view: Callable[..., Any]) -> Callable[..., Any]:
    """Log-in POSTs limited per client address and per username. The Django admin's log-in and
    ours share the counters, so trying both doubles nothing."""
    view = ratelimit(
        group="login", key=username_key, rate=setting_rate("RATELIMIT_LOGIN_USERNAME"), method="POST"
    )(view)
    return ratelimit(group="login", key=ip_key, rate=setting_rate("RATELIMIT_LOGIN_ADDRESS"), method="POST")(
        view
    )
