"""The WebSocket handshake's cost: its database work in one call and one query per person, the
session from Redis, and no Redis client of its own per connection (bench/signaling.py measures
the rate and the memory)."""

from __future__ import annotations

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.db.backends.signals import connection_created
from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from accounts.sessions import SessionStore
from accounts.websocket_auth import forget_handshake
from conference.postgresql import aio
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
    async def test_a_member_costs_one_query_and_no_session_query(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        connected, sql = await self.handshake_queries(cookie)
        self.assertTrue(connected)
        self.assertEqual(len(sql), 1, sql)  # the user, the room and the membership
        self.assertFalse([q for q in sql if "django_session" in q], "the session comes from Redis")

    @closing
    async def test_an_outsider_is_still_refused_in_one_query(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.charlie)
        connected, sql = await self.handshake_queries(cookie)
        self.assertFalse(connected)
        self.assertEqual(len(sql), 1, sql)

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


class HandshakeRulesTestCase(ConsumerTestCase):
    """The one-query handshake decides only the usual case; the rest is Django's get_user, so a
    signed-in person is let in or refused exactly as for a page."""

    async def connects(self, cookie: str) -> bool:
        connected, _ = await self.communicator(cookie).connect(timeout=TIMEOUT)
        return connected

    @closing
    async def test_an_inactive_member_is_refused(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        self.bob.is_active = False
        await self.bob.asave(update_fields=["is_active"])
        self.assertFalse(await self.connects(cookie))

    @closing
    async def test_a_deleted_member_is_refused(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        await self.bob.adelete()
        self.assertFalse(await self.connects(cookie))

    @closing
    async def test_a_session_without_its_hash_is_refused_and_flushed(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        key = cookie.removeprefix("sessionid=")
        session = SessionStore(key)
        del session[HASH_SESSION_KEY]
        await database_sync_to_async(session.save)()
        self.assertFalse(await self.connects(cookie))
        self.assertFalse(await database_sync_to_async(SessionStore().exists)(key), "Django flushes it")

    @closing
    async def test_a_session_signed_with_a_fallback_secret_still_enters(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)  # hash of the current key
        with override_settings(
            SECRET_KEY="a new secret key " * 4, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
        ):
            self.assertTrue(await self.connects(cookie))

    @closing
    async def test_a_backend_no_longer_configured_signs_the_session_out(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.RemoteUserBackend"]):
            self.assertFalse(await self.connects(cookie))

    @closing
    async def test_an_archived_room_refuses_its_members(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        self.room.archived_at = timezone.now()
        await self.room.asave(update_fields=["archived_at"])
        self.assertFalse(await self.connects(cookie))

    @closing
    async def test_a_link_room_lets_a_signed_in_outsider_in_with_one_query(self) -> None:
        self.room.access = Room.Access.LINK
        await self.room.asave(update_fields=["access"])
        cookie = await database_sync_to_async(self.cookie_for)(self.charlie)
        connected, sql = await self.handshake_queries(cookie)
        self.assertTrue(connected)
        self.assertEqual(len(sql), 1, sql)

    handshake_queries = HandshakeQueriesTestCase.handshake_queries


@override_settings(DB_ON_EVENT_LOOP=True)
class HandshakeOnTheLoopTestCase(ConsumerTestCase):
    """The handshake's query on the event loop's own connection (on in deployments, with the
    pool): no database thread for a member, the same answers, and the connection closed."""

    def setUp(self) -> None:
        super().setUp()
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            self.skipTest(
                "the event-loop connection is psycopg's: PostgreSQL only; make test uses PostgreSQL"
            )

    async def connects(self, cookie: str) -> tuple[bool, list[str]]:
        try:
            with QueryLog() as log:
                connected, _ = await self.communicator(cookie).connect(timeout=TIMEOUT)
            return connected, log.sql
        finally:
            await self.close_all()
            await aio.aclose()  # this test's loop ends with the test: so does its connection

    async def test_a_member_enters_without_the_database_thread(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        connected, sql = await self.connects(cookie)
        self.assertTrue(connected)
        self.assertEqual(sql, [], "no query on Django's connections")

    async def test_an_outsider_is_refused_without_it_too(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.charlie)
        connected, sql = await self.connects(cookie)
        self.assertFalse(connected)
        self.assertEqual(sql, [])

    async def test_an_inactive_member_goes_to_djangos_rule_and_is_refused(self) -> None:
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        self.bob.is_active = False
        await database_sync_to_async(self.bob.save)(update_fields=["is_active"])  # then closed
        connected, sql = await self.connects(cookie)
        self.assertFalse(connected)
        self.assertTrue(sql, "the database thread decided")

    async def test_a_guest_still_takes_the_thread(self) -> None:
        self.room.access = Room.Access.LINK
        await self.room.asave(update_fields=["access"])
        cookie = await database_sync_to_async(self.guest_cookie)(self.room, "Gus")
        connected, sql = await self.connects(cookie)
        self.assertTrue(connected)
        self.assertEqual(len(sql), 1, sql)


class RoomAndUserTestCase(ConsumerTestCase):
    def test_the_room_the_user_and_the_membership_in_one_query(self) -> None:
        for slug, user_id, expected in (
            (self.room.slug, self.bob.pk, (self.room, self.bob, True)),
            (self.room.slug, self.charlie.pk, (self.room, self.charlie, False)),
            ("no-such-room", self.bob.pk, (None, self.bob, False)),
            (self.room.slug, 10**9, (self.room, None, False)),
        ):
            with self.subTest(slug=slug, user_id=user_id), self.assertNumQueries(1):
                room, user, is_member = selectors.room_and_user(slug, user_id)
                self.assertEqual((room, user, is_member), expected)
        room, user, _ = selectors.room_and_user(self.room.slug, self.bob.pk)
        assert room is not None and user is not None
        self.assertEqual(room.created_at, self.room.created_at)  # the ORM's conversions
        self.assertEqual(user.password, self.bob.password)
        self.assertFalse(room._state.adding)  # saved instances, as the ORM returns them


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
