"""``/metrics``, ``/healthz`` and ``/readyz`` of a worker process (runsfu, runtranscriber, Celery).

A small threaded HTTP server on its own port (SFU_METRICS_PORT, TRANSCRIBER_METRICS_PORT,
CELERY_METRICS_PORT; 0 = none), bound to METRICS_BIND. Scrapes and probes run in its threads, so
a busy event loop still answers ``/healthz``; what a worker must prove about its loop goes into
its readiness checks (e.g. "the heartbeat was written lately").
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from conference.health import Check, readiness_body, run_checks

logger = logging.getLogger(__name__)


class MetricsServer:
    def __init__(
        self,
        port: int,
        *,
        checks: Mapping[str, Check] | None = None,
        registry: CollectorRegistry = REGISTRY,
        host: str = "127.0.0.1",
        timeout: float = 2.0,
    ) -> None:
        self.checks = dict(checks or {})
        self.registry = registry
        self.timeout = timeout
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  # http.server's name
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._answer(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    self._json(200, {"status": "ok"})
                elif path == "/readyz":
                    failed = run_checks(server.checks, server.timeout)
                    self._json(503 if failed else 200, readiness_body(failed, list(server.checks)))
                else:
                    self._json(404, {"status": "not found"})

            def _json(self, status: int, body: dict[str, Any]) -> None:
                self._answer(status, json.dumps(body).encode(), "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # a scrape every few seconds is not news

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()
        logger.info("Metrics, health and readiness on port %s", self.port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(3)


def start_metrics_server(
    port: int, *, checks: Mapping[str, Check] | None = None, registry: CollectorRegistry = REGISTRY
) -> MetricsServer | None:
    """A started server on ``port``, or None when the port is 0 (metrics off)."""
    if not port:
        return None
    from django.conf import settings

    return MetricsServer(
        port,
        checks=checks,
        registry=registry,
        host=settings.METRICS_BIND,
        timeout=settings.HEALTH_CHECK_TIMEOUT,
    ).start()
