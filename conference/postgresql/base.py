"""Django's PostgreSQL backend (ENGINE "conference.postgresql", set with the pool in settings)
whose connection pool checks each connection it hands out without a round trip when nothing
happened.

psycopg-pool's own check (``ConnectionPool.check_connection``, what CONN_HEALTH_CHECKS turns on)
sends an empty query at every checkout: one round trip per database call, ~7 % of a WebSocket
handshake's time on the web's database thread (docs/signaling.md). The socket of an idle
connection is silent: it has something to read only when the server wrote to it (a notice, the
goodbye of a restart, an idle-session timeout, pg_terminate_backend) or closed it. So: if it is
silent, hand it out; if not, the full check, which reads what came and fails if the server is
gone (the pool then replaces the connection). Not covered either way: a peer that vanished
without a word (no FIN); the full check would wait for TCP to give up as well.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg import pq
from psycopg_pool import ConnectionPool


def check_if_stirred(conn: psycopg.Connection) -> None:
    if conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("the connection is closed")
    poller = select.poll()  # not select(): a web process holds far more than 1,024 descriptors
    poller.register(conn.fileno(), select.POLLIN)
    if poller.poll(0):  # readable, hung up or in error: see what it is
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        """Django's own (django/db/backends/postgresql/base.py, 5.2), with ``check_if_stirred``."""
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets it per connection later on
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                check=check_if_stirred,
                **({} if pool_options is True else pool_options),
            )
            self._connection_pools.setdefault(self.alias, pool)  # the first thread's wins
        return self._connection_pools[self.alias]
