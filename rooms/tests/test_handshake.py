"""The WebSocket handshake's cost: its database work in one call and one query per person, the
session from Redis, and no Redis client of its own per connection (bench/signaling.py measures
the rate and the memory)."""

from __future__ import annotations

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db.backends.signals import connection_created
from django.test import SimpleTestCase

from accounts.websocket_auth import forget_handshake
from rooms import selectors
from rooms.models import Room
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing


class QueryLog:
    """Every SQL statement run on any thread's connection opened while recording (the consumer's
    database thread is not the test's; each call checks a connection out of the pool anew)."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.wrapped: list[object] = []

    def __call__(self, execute: object, sql: str, params: object, many: bool, context: object) -> object:
        self.sql.append(sql)
        return execute(sql, params, many, context)  # type: ignore[operator]

    def on_connect(self, sender: object, connection: object, **_: object) -> None:
        if self not in connection.execute_wrappers:  # type: ignore[attr-defined]
            connection.execute_wrappers.append(self)  # type: ignore[attr-defined]
            self.wrapped.append(connection)

    def __enter__(self) -> QueryLog:
        connection_created.connect(self.on_connect)
        return self

    def __exit__(self, *exc: object) -> None:
        connection_created.disconnect(self.on_connect)
        for c in self.wrapped:
            c.execute_wrappers.remove(self)  # type: ignore[attr-defined]


class HandshakeQueriesTestCase(ConsumerTestCase):
    async def handshake_queries(self, cookie: str) -> tuple[bool, list[str]]:
        """Connect once; (accepted, the SQL the handshake ran)."""
        with QueryLog() as log:
            connected, _ = await self.communicator(cookie).connect(timeout=TIMEOUT)
        return connected, log.sql

    @closing
    async def test_a_member_costs_two_queries_and_no_session_query(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        connected, sql = await self.handshake_queries(cookie)
        self.assertTrue(connected)
        self.assertEqual(len(sql), 2, sql)  # the user; the room with the membership
        self.assertFalse([q for q in sql if "django_session" in q], "the session comes from Redis")

    @closing
    async def test_an_outsider_is_still_refused_in_two_queries(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.charlie)
        connected, sql = await self.handshake_queries(cookie)
        self.assertFalse(connected)
        self.assertEqual(len(sql), 2, sql)

    @closing
    async def test_a_guest_of_a_link_room_needs_only_the_room(self) -> None:
        self.room.access = Room.Access.LINK
        await self.room.asave(update_fields=["access"])
        cookie = await database_sync_to_async(self.guest_cookie)(self.room, "Gus")
        connected, sql = await self.handshake_queries(cookie)
        self.assertTrue(connected)
        self.assertEqual(len(sql), 1, sql)

    @closing
    async def test_a_session_whose_password_changed_is_signed_out(self) -> None:
        # The deferred user is Django's own get_user: the session hash still decides.
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        self.bob.set_password("another password")
        await self.bob.asave()
        connected, _ = await self.communicator(cookie).connect(timeout=TIMEOUT)
        self.assertFalse(connected)


class RoomToEnterTestCase(ConsumerTestCase):
    def test_one_query_answers_members_outsiders_and_missing_rooms(self) -> None:
        for user, slug, expected in (
            (self.bob, self.room.slug, self.room),
            (self.charlie, self.room.slug, None),
            (self.bob, "no-such-room", None),
        ):
            with self.subTest(user=user.username, slug=slug), self.assertNumQueries(1):
                self.assertEqual(selectors.room_to_enter(slug, user), expected)


class RedisClientsTestCase(ConsumerTestCase):
    def clients(self) -> int:
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            return len(client.client_list())
        finally:
            client.close()

    @closing
    async def test_connections_share_the_process_redis_clients(self) -> None:
        cookies = [await database_sync_to_async(self.cookie_for)(u) for u in (self.alice, self.bob)]
        connected, _ = await self.communicator(cookies[0]).connect(timeout=TIMEOUT)  # warm
        self.assertTrue(connected)
        before = await database_sync_to_async(self.clients)()
        for i in range(20):
            connected, _ = await self.communicator(cookies[i % 2]).connect(timeout=TIMEOUT)
            self.assertTrue(connected)
        grown = await database_sync_to_async(self.clients)() - before
        # Other test runs share this Redis: a few clients may come and go, not one per connection.
        self.assertLess(grown, 10, f"{grown} more Redis clients for 20 more connections")


class ForgetHandshakeTestCase(SimpleTestCase):
    def test_headers_and_cookies_are_emptied_in_every_copy_of_the_scope(self) -> None:
        headers = [(b"cookie", b"sessionid=abc"), (b"x-forwarded-for", b"203.0.113.7")]
        outer = {"type": "websocket", "headers": headers}  # what the server made
        cookies = dict(outer, cookies={"sessionid": "abc"})  # the middlewares' copies
        routed = dict(cookies, url_route={"kwargs": {"slug": "r"}})
        forget_handshake(routed)
        self.assertEqual(outer["headers"], [])
        self.assertEqual(cookies["cookies"], {})
        self.assertEqual(routed["url_route"], {"kwargs": {"slug": "r"}})

    def test_an_immutable_headers_object_is_left_alone(self) -> None:
        scope = {"headers": ((b"host", b"localhost"),)}
        forget_handshake(scope)
        self.assertEqual(scope["headers"], ((b"host", b"localhost"),))
