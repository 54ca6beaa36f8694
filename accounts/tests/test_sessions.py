"""Sessions in Redis in front of the database (accounts.sessions), and Redis going away."""

from __future__ import annotations

import redis
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session
from django.test import TransactionTestCase, override_settings

from accounts.sessions import SessionStore
from conference.testing.redis import RedisServer


class SessionCacheTestCase(TransactionTestCase):
    def test_a_saved_session_is_read_from_redis(self) -> None:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        Session.objects.filter(session_key=s.session_key).update(session_data="")  # only Redis has it now
        self.assertEqual(SessionStore(s.session_key)["who"], "bob")

    def test_a_session_missing_from_redis_is_read_from_the_database(self) -> None:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        s._cache.delete(s.cache_key)
        self.assertEqual(SessionStore(s.session_key)["who"], "bob")


class PrefetchTestCase(TransactionTestCase):
    """``aprefetch``: the WebSocket handshake's session read on the event loop."""

    def saved(self) -> SessionStore:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        return s

    def test_the_session_comes_from_redis_without_a_query(self) -> None:
        s = self.saved()
        prefetched = SessionStore(s.session_key)
        async_to_sync(prefetched.aprefetch)()
        with self.assertNumQueries(0):
            self.assertEqual(prefetched["who"], "bob")

    def test_a_miss_leaves_the_read_to_load(self) -> None:
        s = self.saved()
        s._cache.delete(s.cache_key)
        prefetched = SessionStore(s.session_key)
        async_to_sync(prefetched.aprefetch)()
        self.assertFalse(hasattr(prefetched, "_session_cache"))
        self.assertEqual(prefetched["who"], "bob")  # from the database

    def test_no_session_key_no_read(self) -> None:
        prefetched = SessionStore(None)
        async_to_sync(prefetched.aprefetch)()
        self.assertEqual(prefetched.items(), {}.items())


class RedisAwayTestCase(TransactionTestCase):
    def setUp(self) -> None:
        self.redis = RedisServer().start()
        self.addCleanup(self.redis.stop)
        overrides = override_settings(**self.redis.settings())
        overrides.enable()
        self.addCleanup(overrides.disable)

    def test_sessions_are_read_from_the_database_while_redis_is_away(self) -> None:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        self.redis.stop()
        self.assertEqual(SessionStore(s.session_key)["who"], "bob")

    def test_a_prefetch_while_redis_is_away_leaves_the_database_to_answer(self) -> None:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        self.redis.stop()
        prefetched = SessionStore(s.session_key)
        async_to_sync(prefetched.aprefetch)()
        self.assertEqual(prefetched["who"], "bob")

    def test_a_log_out_while_redis_is_away_fails_whole(self) -> None:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        self.redis.stop()
        with self.assertRaises(redis.exceptions.ConnectionError):
            SessionStore(s.session_key).delete()
        self.assertTrue(Session.objects.filter(session_key=s.session_key).exists())
