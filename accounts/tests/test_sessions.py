"""Sessions in Redis in front of the database (accounts.sessions), and Redis going away."""

from __future__ import annotations

import redis
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

    def test_a_log_out_while_redis_is_away_fails_whole(self) -> None:
        s = SessionStore()
        s["who"] = "bob"
        s.save()
        self.redis.stop()
        with self.assertRaises(redis.exceptions.ConnectionError):
            SessionStore(s.session_key).delete()
        self.assertTrue(Session.objects.filter(session_key=s.session_key).exists())
