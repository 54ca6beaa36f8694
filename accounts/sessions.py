"""Sessions in Redis in front of the database (Django's ``cached_db``), so that a WebSocket
handshake reads its session without a database query, and that keep working from the database
while Redis is away (Django's backend fails a load whose cache refill fails).

SESSION_ENGINE = "accounts.sessions" (settings.py). A WebSocket handshake reads its session on
the event loop (``aprefetch``), so the web's single database thread does not wait for Redis.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import redis.asyncio
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.core.cache.backends.redis import RedisSerializer

from conference.cache import shared

log = logging.getLogger(__name__)

# One asyncio Redis client per event loop (a client is bound to the loop it first ran in; a web
# process has one loop, a test run many), for the location it was made for.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, redis.asyncio.Redis]] = (
    weakref.WeakKeyDictionary()
)
_serializer = RedisSerializer()  # how Django's Redis cache stores values


def _async_client() -> redis.asyncio.Redis | None:
    """This loop's client for the session cache's one server; None for any other set-up."""
    cache = settings.CACHES[settings.SESSION_CACHE_ALIAS]
    location = cache.get("LOCATION")
    if not cache["BACKEND"].endswith("redis.RedisCache") or not isinstance(location, str) or "," in location:
        return None  # several servers (replicas): the synchronous load() picks like Django
    loop = asyncio.get_running_loop()
    known = _clients.get(loop)
    if known is None or known[0] != location:
        # A few connections, reused (handshakes come a hundred at a time: one connection each
        # would be a hundred Redis clients and as many connects); each wait bounded, after which
        # the handshake falls back to load().
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            location, max_connections=8, timeout=2, socket_timeout=2, socket_connect_timeout=2
        )
        client = redis.asyncio.Redis(connection_pool=pool)
        _clients[loop] = known = (location, client)
    return known[1]


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        # The process's cache client, not a context-local one (conference/cache.py).
        self._cache = shared(settings.SESSION_CACHE_ALIAS)
        super(cached_db.SessionStore, self).__init__(session_key)

    async def aprefetch(self) -> None:
        """Read the session from Redis without a thread: what ``load`` would find there, kept
        as the loaded session. A miss, or Redis failing, leaves the whole ``load`` (Redis, then
        the database) to the first read, in the database thread."""
        if self.session_key is None or hasattr(self, "_session_cache"):
            return
        client = _async_client()
        if client is None:
            return
        try:
            raw = await client.get(self._cache.make_key(self.cache_key))  # load()'s key
        except Exception as e:  # Redis away: load() reads the database
            log.debug("Session prefetch failed: %r", e)
            return
        if raw is not None:
            self._session_cache = _serializer.loads(raw)  # SessionBase's loaded-session slot

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # Redis away (or an invalid key): the database has it
            data = None
        if data is not None:
            return data
        s = self._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=s.expire_date))
        except Exception as e:
            log.warning("Session cache refill failed: %r", e)
        return data

    def delete(self, session_key: str | None = None) -> None:
        # The cache first: when Redis is away the log-out fails whole, instead of leaving the
        # cached copy signed in after the database row is gone.
        key = session_key or self.session_key
        if key is not None:
            self._cache.delete(self.cache_key_prefix + key)
        super(cached_db.SessionStore, self).delete(session_key)
