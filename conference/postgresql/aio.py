"""One asyncio psycopg connection per event loop, for the few reads that should not hop to the
web's single database thread (the WebSocket handshake's one query, rooms.selectors): the hop and
the GIL hand-over around it cost more of the event loop than the query (docs/signaling.md).

Off unless ``settings.DB_ON_EVENT_LOOP`` (on with the connection pool, so not in the test
runner's own process, whose test cases may hold their data in an open transaction that another
connection cannot see). Any failure (no connection, PostgreSQL restarting) answers None: the
caller then takes the thread path, which has Django's own handling. ``aclose`` closes this
loop's connection (tests; a process that ends just drops it).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

_connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, psycopg.AsyncConnection[Any]] = (
    weakref.WeakKeyDictionary()
)


async def _connection(alias: str) -> psycopg.AsyncConnection[Any] | None:
    loop = asyncio.get_running_loop()
    conn = _connections.get(loop)
    if conn is not None and not conn.closed:
        return conn
    wrapper = connections[alias]  # its settings and adapters only: no query from this thread
    if wrapper.vendor != "postgresql" or wrapper.settings_dict["OPTIONS"].get("assume_role"):
        return None
    params = wrapper.get_connection_params()  # the adapters Django's own connections use
    params.pop("cursor_factory", None)  # Django's is synchronous
    params.setdefault("connect_timeout", 5)
    conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
    if wrapper.timezone_name and conn.info.parameter_status("TimeZone") != wrapper.timezone_name:
        await conn.execute(wrapper.ops.set_time_zone_sql(), [wrapper.timezone_name])
    _connections[loop] = conn
    return conn


async def fetchone(sql: str, params: list[Any], alias: str = "default") -> tuple[Any, ...] | None:
    """The first row of ``sql``, or None when it cannot be read here (off, or failed)."""
    if not settings.DB_ON_EVENT_LOOP:
        return None
    try:
        conn = await _connection(alias)
        if conn is None:
            return None
        cursor = await conn.execute(sql, params)  # psycopg serializes a connection's users
        return await cursor.fetchone()
    except (psycopg.Error, OSError) as e:
        log.warning("Read on the event loop failed (the database thread answers): %r", e)
        await aclose()
        return None


async def aclose() -> None:
    conn = _connections.pop(asyncio.get_running_loop(), None)
    if conn is not None:
        await conn.close()
