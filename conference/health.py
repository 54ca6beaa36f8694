"""Liveness and readiness: ``/healthz`` (the process answers) and ``/readyz`` (it can do its work).

A check is a function returning None when all is well, or a short text saying what is wrong. The
web's checks are settings.READINESS_CHECKS (database, Redis): without them it cannot serve. What
it can do without (a live SFU worker: pages and chat still work, media comes back by itself) is
settings.DEGRADED_CHECKS, reported in the body as ``degraded``, never as a 503: with no SFU
anywhere every web would go unready at once and take chat and pages down with the media. Each
worker process passes its own checks to conference.metrics_server. Every check is bounded
(HEALTH_CHECK_TIMEOUT): a hung dependency makes the answer "not ready", never a hung probe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string

Check = Callable[[], "str | None"]

# Checks run here, so a hung one costs a thread of this pool, never the caller's.
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def check_database() -> str | None:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}"
    finally:
        connection.close()  # the pool thread's connection must not outlive the check
    return None


def redis_ping(url: str, timeout: float) -> str | None:
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except Exception as exc:
        return f"{type(exc).__name__}"
    finally:
        client.close()
    return None


def check_redis() -> str | None:
    return redis_ping(settings.REDIS_URL, settings.HEALTH_CHECK_TIMEOUT)


def loop_check(loop: asyncio.AbstractEventLoop, timeout: float = 1.0) -> Check:
    """A check that the worker's event loop runs callbacks (a stalled loop does no work)."""

    def check() -> str | None:
        if loop.is_closed():
            return "event loop closed"
        ran = concurrent.futures.Future[None]()
        loop.call_soon_threadsafe(ran.set_result, None)
        try:
            ran.result(timeout)
        except concurrent.futures.TimeoutError:
            return f"event loop stalled for over {timeout:.0f} s"
        return None

    return check


def run_checks(checks: dict[str, Check], timeout: float | None = None) -> dict[str, str]:
    """Every check at once; the failed ones by name, with what is wrong ("" : all ready)."""
    timeout = settings.HEALTH_CHECK_TIMEOUT if timeout is None else timeout
    futures = {name: _pool.submit(check) for name, check in checks.items()}
    done, _ = concurrent.futures.wait(futures.values(), timeout=timeout + 0.5)
    failed: dict[str, str] = {}
    for name, future in futures.items():
        if future not in done:
            failed[name] = "timed out"
            continue
        try:
            problem = future.result()
        except Exception as exc:  # a check that raises is a failed check
            problem = type(exc).__name__
        if problem:
            failed[name] = problem
    return failed


def readiness_body(
    failed: dict[str, str], checked: Sequence[str], degraded: dict[str, str] | None = None
) -> dict[str, object]:
    body: dict[str, object] = {
        "status": "unready" if failed else "ready",
        "checks": {name: failed.get(name, "ok") for name in checked},
        "failed": sorted(failed),
    }
    if degraded is not None:
        body["degraded"] = degraded
    return body


def checks_named(paths: Sequence[str]) -> dict[str, Check]:
    """Checks by short name: ``conference.health.check_database`` -> ``database``."""
    return {path.rsplit(".", 1)[1].removeprefix("check_"): import_string(path) for path in paths}


def web_checks() -> dict[str, Check]:
    return checks_named(settings.READINESS_CHECKS)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks, optional = web_checks(), checks_named(settings.DEGRADED_CHECKS)
    results = run_checks({**checks, **optional})
    failed = {name: problem for name, problem in results.items() if name in checks}
    degraded = {name: results.get(name, "ok") for name in optional}
    body = readiness_body(failed, list(checks), degraded)
    response = JsonResponse(body, status=503 if failed else 200)
    # A probe every few seconds while unready is no error to log each time (the body says why).
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response
    return response
