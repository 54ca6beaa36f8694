"""Django's test runner, plus a clean slate in Redis for the run's REDIS_PREFIX.

Channel-layer queues (``transcribe``, ``sfu.<id>``), SFU heartbeats and the Celery queue live in
Redis under the prefix; a run that was interrupted could leave messages there for the next one.
"""

from __future__ import annotations

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


class TestRunner(DiscoverRunner):
    def setup_test_environment(self, **kwargs: Any) -> None:
        super().setup_test_environment(**kwargs)
        if settings.REDIS_PREFIX == "meet":
            # The production default: never wipe a deployment's Redis from a test run.
            raise SystemExit("Set REDIS_PREFIX (e.g. REDIS_PREFIX=test) to run the tests; `make test` does.")
        flush_prefix(settings.REDIS_PREFIX)
