"""WebSocket authentication: one flat middleware, and the user loaded with the room in one query.

Channels' Cookie, Session and Auth middlewares each wrap the connection in a copy of the scope and
a coroutine of their own, and AuthMiddleware loads the user in a database call of its own. Here
one middleware reads the session cookie and leaves ``scope["session"]`` (not loaded yet) and
``scope["user"]`` (deferred) for the consumer, which resolves both in its one trip to the
database thread: for the usual signed-in session the consumer loads the user with its room and
the membership in one query (``claimed_user``, then ``settle_user`` checks Django's session rules
in Python); otherwise, or when anything is unusual, Django's own ``auth.get_user`` decides
(``resolve_user``).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.auth import UserLazyObject
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare
from django.utils.functional import empty


class WebsocketAuthMiddleware:
    """``scope["cookies"]``, ``scope["session"]`` (a session store, loaded when first read) and a
    deferred ``scope["user"]``, set on the server's scope itself. The cookie rule is Channels' own (the
    first Cookie header). Sessions are not saved from here: the consumer only reads them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        cookies: dict[str, str] = {}
        for name, value in scope.get("headers") or ():
            if name == b"cookie":
                cookies = parse_cookie(value.decode("latin1"))
                break
        store = import_module(settings.SESSION_ENGINE).SessionStore
        session = store(cookies.get(settings.SESSION_COOKIE_NAME))
        prefetch = getattr(session, "aprefetch", None)  # accounts.sessions: Redis, without a thread
        if prefetch is not None:
            await prefetch()
        # In place, not a copy: the server made this scope for this one socket, and a copy
        # would be kept for the socket's whole life (~0.5 kB each).
        scope.update(cookies=cookies, session=session, user=UserLazyObject())
        return await self.inner(scope, receive, send)


def resolve_user(scope: dict[str, Any]) -> Any:
    """The scope's user (AnonymousUser when signed out), loaded now if it is still deferred.
    Synchronous: call it in the database thread. Django's own rule (``auth.get_user``: backend,
    session hash, secret-key fallbacks, the flush of a stale session) decides, as for a page."""
    user = scope.get("user")
    if isinstance(user, UserLazyObject) and user._wrapped is empty:
        user._wrapped = auth.get_user(SimpleNamespace(session=scope["session"]))  # type: ignore[arg-type]
    return scope.get("user")


def claimed_user(scope: dict[str, Any], *, loaded_only: bool = False) -> tuple[Any, ModelBackend] | None:
    """(user id, backend) of a signed-in session whose backend loads users as ModelBackend does,
    while the scope's user is still deferred: the caller may then load that user with its own
    query and hand it to ``settle_user``. None: ``resolve_user`` decides (signed out: no query;
    another backend, or one no longer configured: Django's rule). Synchronous; with
    ``loaded_only``, None also when reading the session would need I/O (it was not prefetched),
    so that it can run on the event loop."""
    user = scope.get("user")
    if not (isinstance(user, UserLazyObject) and user._wrapped is empty):
        return None
    session = scope["session"]
    if loaded_only and not hasattr(session, "_session_cache"):  # SessionBase's loaded-session slot
        return None
    try:
        user_id = auth._get_user_session_key(SimpleNamespace(session=session))  # type: ignore[arg-type]
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    backend = auth.load_backend(backend_path)
    if not isinstance(backend, ModelBackend) or type(backend).get_user is not ModelBackend.get_user:
        return None  # its own way of loading a user
    return user_id, backend


def settle_user(scope: dict[str, Any], backend: ModelBackend, found: Any) -> bool:
    """Whether ``found`` (the row of ``claimed_user``'s id, None if there is none) is the
    session's user by Django's rule as it stands for the usual case (the backend lets it
    authenticate, the session hash matches the current secret key); if so it is the scope's
    user now. False leaves the user deferred: ``resolve_user`` then applies the whole rule, with
    its side effects (the flush of a stale session, a key cycled for a fallback secret)."""
    if found is None or not backend.user_can_authenticate(found):
        return False
    session_hash = scope["session"].get(auth.HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, found.get_session_auth_hash()):
        return False
    scope["user"]._wrapped = found
    return True


def forget_handshake(scope: Mapping[str, Any]) -> None:
    """Let the handshake's headers and cookies go once they are read (the request id, the client
    address, the session's user and guest identity): the scope copies (the server's, the router's)
    share these one list and one dict for the socket's whole life, so emptying them in place frees
    them (~1.5 kB a connection). Servers that hand over an immutable headers object keep it."""
    for name in ("headers", "cookies"):
        value = scope.get(name)
        if isinstance(value, list | dict):
            value.clear()
    session = scope.get("session")
    if session is not None and hasattr(session, "_session_cache"):
        # The loaded session (~0.5 kB): nothing reads it once the socket is open; a later read
        # would load it again (SessionBase loads a missing cache on first access).
        del session._session_cache
