"""WebSocket authentication that the consumer resolves in its own trip to the database thread.

Channels' AuthMiddleware loads the user in a database call of its own before the consumer runs,
and the consumer then makes another for its room: two pool checkouts per handshake on the web
process's single database thread, the handshake's bottleneck (bench/signaling.py). Here
``scope["user"]`` stays lazy until ``resolve_user`` loads it, inside the consumer's one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from channels.auth import AuthMiddleware, UserLazyObject
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib import auth
from django.utils.functional import empty


class DeferredAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        """Nothing yet: ``resolve_user`` loads the user, synchronously, when it is needed."""


def DeferredAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 - named like Channels' own
    return CookieMiddleware(SessionMiddleware(DeferredAuthMiddleware(inner)))


def resolve_user(scope: dict[str, Any]) -> Any:
    """The scope's user (AnonymousUser when signed out), loaded now if it is still deferred.
    Synchronous: call it in the database thread. Django's own rule (``auth.get_user``: backend,
    session hash, secret-key fallbacks) decides, as for a page request."""
    user = scope.get("user")
    if isinstance(user, UserLazyObject) and user._wrapped is empty:
        user._wrapped = auth.get_user(SimpleNamespace(session=scope["session"]))  # type: ignore[arg-type]
    return scope.get("user")


def forget_handshake(scope: Mapping[str, Any]) -> None:
    """Let the handshake's headers and cookies go once they are read (the request id, the client
    address, the session): each middleware keeps its own copy of the scope for the socket's whole
    life, but they all share these one list and one dict, so emptying them in place frees them
    (~1.5 kB a connection). Servers that hand over an immutable headers object keep it."""
    for name in ("headers", "cookies"):
        value = scope.get(name)
        if isinstance(value, list | dict):
            value.clear()
