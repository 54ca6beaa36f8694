"""One cache client per process, for code that runs in a WebSocket consumer's context.

``django.core.cache.caches`` is context-local, and a consumer is one context per connection with no
``request_finished`` to close it: each connection would keep a Redis client and a socket of its
own (10,000 idle connections = 10,000 Redis clients, Redis's default ``maxclients``). Django's
Redis cache shares its connection pool between threads, so one instance per process serves all.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.cache import BaseCache, caches
from django.core.signals import setting_changed


@functools.cache
def shared(alias: str = "default") -> BaseCache:
    return caches.create_connection(alias)


def _settings_changed(*, setting: str, **_: Any) -> None:
    if setting == "CACHES":  # tests point the cache at another Redis
        shared.cache_clear()


setting_changed.connect(_settings_changed)
