"""The pool's connection check (conference/postgresql): no round trip for a quiet connection, the
full check when the server said something, a connection the server ended refused."""

from __future__ import annotations

import select
import time

import psycopg
from django.db import connection
from django.test import SimpleTestCase

from conference.postgresql.base import check_if_stirred


class CheckIfStirredTestCase(SimpleTestCase):
    databases = {"default"}

    def setUp(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("checks a psycopg connection's socket: PostgreSQL only; make test uses PostgreSQL")
        params = {**connection.get_connection_params(), "autocommit": True}
        self.conn = psycopg.connect(**params)
        self.admin = psycopg.connect(**params)
        self.addCleanup(self.conn.close)
        self.addCleanup(self.admin.close)
        self.conn.execute("SELECT 'marker'")

    def last_query(self) -> str:
        row = self.admin.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [self.conn.info.backend_pid]
        ).fetchone()
        assert row is not None
        return row[0]

    def wait_readable(self) -> None:
        poller = select.poll()
        poller.register(self.conn.fileno(), select.POLLIN)
        self.assertTrue(poller.poll(5000), "the server's message did not arrive in 5 s")

    def test_a_quiet_connection_is_handed_out_without_a_query(self) -> None:
        check_if_stirred(self.conn)
        self.assertEqual(self.last_query(), "SELECT 'marker'")

    def test_a_connection_with_something_to_read_gets_the_full_check(self) -> None:
        self.conn.execute("LISTEN hs_check")
        self.admin.execute("NOTIFY hs_check")
        self.wait_readable()
        check_if_stirred(self.conn)  # a notification: still a good connection
        self.assertEqual(self.last_query(), "")  # psycopg-pool's check is an empty query

    def test_a_connection_the_server_ended_is_refused(self) -> None:
        self.admin.execute("SELECT pg_terminate_backend(%s)", [self.conn.info.backend_pid])
        self.wait_readable()
        with self.assertRaises(psycopg.OperationalError):
            check_if_stirred(self.conn)

    def test_a_closed_connection_is_refused_without_looking(self) -> None:
        self.conn.close()
        started = time.monotonic()
        with self.assertRaises(psycopg.OperationalError):
            check_if_stirred(self.conn)
        self.assertLess(time.monotonic() - started, 1)
