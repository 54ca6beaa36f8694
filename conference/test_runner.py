"""Django's test runner, plus a clean slate in Redis for the run's REDIS_PREFIX.

Channel-layer queues (``transcribe``, ``sfu.<id>``), SFU heartbeats and the Celery queue live in
Redis under the prefix; a run that was interrupted could leave messages there for the next one.
"""

from __future__ import annotations

import unittest
from typing import Any

import redis
from django.conf import settings
from django.test.runner import DiscoverRunner


def flush_prefix(prefix: str) -> int:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


class CleanRateLimitsResult:
    """Before every test, forget django-ratelimit's counters: they live in Redis, outside the test
    transaction, and every test client comes from 127.0.0.1, so one test's requests would count
    against the next one's. The circuit breakers too (conference.breakers: in the process)."""

    def startTest(self, test: unittest.TestCase) -> None:
        from conference.breakers import reset_breakers
        from conference.testing.base import clear_rate_limits

        clear_rate_limits()
        reset_breakers()
        super().startTest(test)  # type: ignore[misc]


class TestRunner(DiscoverRunner):
    def get_resultclass(self) -> type[unittest.TextTestResult]:
        base = super().get_resultclass() or unittest.TextTestResult
        return type("TestResult", (CleanRateLimitsResult, base), {})

    def setup_test_environment(self, **kwargs: Any) -> None:
        super().setup_test_environment(**kwargs)
        if settings.REDIS_PREFIX == "meet":
            # The production default: never wipe a deployment's Redis from a test run.
            raise SystemExit("Set REDIS_PREFIX (e.g. REDIS_PREFIX=test) to run the tests; `make test` does.")
        flush_prefix(settings.REDIS_PREFIX)
