"""Sessions in Redis in front of the database (Django's ``cached_db``), so that a WebSocket
handshake reads its session without a database query, and that keep working from the database
while Redis is away (Django's backend fails a load whose cache refill fails).

SESSION_ENGINE = "accounts.sessions" (settings.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db

from conference.cache import shared

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        # The process's cache client, not a context-local one (conference/cache.py).
        self._cache = shared(settings.SESSION_CACHE_ALIAS)
        super(cached_db.SessionStore, self).__init__(session_key)

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
