"""/healthz and /readyz of the web and of an SFU worker, through a real Redis stopped and started
again, and the web's /metrics only for the allowed addresses."""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from django.test import TransactionTestCase, override_settings

from conference.testing.processes import WorkerProcess

WAIT = 20.0  # seconds for a state to show: heartbeat TTL 2 s, channel-layer retries up to 8 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


class RedisServer:
    """A private redis-server on a free loopback port, stopped and started again on that port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: WorkerProcess | None = None

    def start(self) -> None:
        argv = [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
        argv += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = WorkerProcess("redis", argv, ready=r"Ready to accept connections", ready_timeout=15)
        self.process.start().wait_ready()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None


class ReadinessTests(TransactionTestCase):
    def setUp(self) -> None:
        self.redis = RedisServer()
        self.redis.start()
        self.addCleanup(self.redis.stop)

    def web_readyz(self) -> tuple[int, dict[str, Any]]:
        with override_settings(REDIS_URL=self.redis.url):
            response = self.client.get("/readyz")
        return response.status_code, response.json()

    def test_readyz_follows_redis_and_the_sfu_heartbeat(self) -> None:
        status, body = self.web_readyz()
        # No SFU worker has beaten yet: pages and chat work, so the web stays ready, and says so.
        self.assertEqual(status, 200)
        self.assertEqual(body["failed"], [])
        self.assertEqual(body["degraded"], {"sfu_workers": "no live SFU worker"})

        metrics_port = free_port()
        sfu = WorkerProcess.manage(
            "sfu",
            "runsfu",
            "--worker-id",
            f"health-{metrics_port}",
            env={
                "REDIS_URL": self.redis.url,
                "SFU_HOST_ADDRESSES": "127.0.0.1",
                "SFU_METRICS_PORT": str(metrics_port),
                "SFU_HEARTBEAT_SECONDS": "0.5",
                "SFU_WORKER_TTL_SECONDS": "2",
            },
            ready=r"SFU worker \S+ ready",
        )
        self.addCleanup(sfu.stop)
        sfu.start().wait_ready(30)
        worker = f"http://127.0.0.1:{metrics_port}"

        self.assertEqual(self.web_readyz(), (200, self._body_ready(["database", "redis"], sfu_workers="ok")))
        self.assertEqual(get(f"{worker}/readyz")[0], 200)

        self.redis.stop()
        status, body = until(lambda: (r := self.web_readyz())[0] == 503 and r, "the web to go unready")
        self.assertIn("redis", body["failed"])
        self.assertEqual(body["checks"]["database"], "ok")
        self.assertEqual(self.client.get("/healthz").status_code, 200, "the process itself is up")
        _, worker_body = until(
            lambda: (r := get(f"{worker}/readyz"))[0] == 503 and r, "the worker to go unready"
        )
        self.assertIn("redis", worker_body["failed"])
        self.assertEqual(get(f"{worker}/healthz"), (200, {"status": "ok"}))
        until(lambda: "heartbeat" in get(f"{worker}/readyz")[1]["failed"], "the heartbeat check to fail")

        self.redis.start()  # same port: the worker reconnects and beats again
        until(lambda: self.web_readyz()[0] == 200, "the web to be ready again")
        until(lambda: get(f"{worker}/readyz")[0] == 200, "the worker to be ready again")
        self.assertTrue(sfu.running)

    @staticmethod
    def _body_ready(names: list[str], **degraded: str) -> dict[str, Any]:
        return {"status": "ready", "checks": dict.fromkeys(names, "ok"), "failed": [], "degraded": degraded}


class WebMetricsTests(TransactionTestCase):
    def test_metrics_are_served_to_loopback_only_by_default(self) -> None:
        self.client.get("/accounts/login/")
        response = self.client.get("/metrics")
        self.assertEqual(response.status_code, 200)
        text = response.content.decode()
        self.assertIn("django_http_requests_total_by_method_total", text)
        self.assertIn("meet_websocket_connections", text)
        response = self.client.get("/metrics", REMOTE_ADDR="203.0.113.9")
        self.assertEqual(response.status_code, 403)

    @override_settings(METRICS_ALLOW_FROM=["10.1.0.0/16"])
    def test_metrics_allow_list_is_a_setting(self) -> None:
        self.assertEqual(self.client.get("/metrics").status_code, 403)
        self.assertEqual(self.client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code, 200)

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_behind_a_proxy_the_client_address_counts(self) -> None:
        # The proxy is on loopback, the client outside: not allowed.
        response = self.client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
        self.assertEqual(response.status_code, 403)
