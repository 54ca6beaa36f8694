"""A Redis server of a test's own, on a free loopback port, that the test may stop and start
again (the shared one on 6379 must keep serving everyone else)."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Any, Self


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> Self:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not listen on {self.port} within {timeout} s")

    def stop(self, timeout: float = 10) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout)
        self.process = None

    def settings(self, prefix: str = "own") -> dict[str, Any]:
        """Settings that put the channel layer, the cache and the heartbeats on this server."""
        from django.conf import settings

        layer = {**settings.CHANNEL_LAYERS["default"]}
        layer["CONFIG"] = {**layer["CONFIG"], "hosts": [{"address": self.url, "socket_timeout": 2}]}
        cache = {**settings.CACHES["default"], "LOCATION": self.url}
        return {"CHANNEL_LAYERS": {"default": layer}, "CACHES": {"default": cache}, "REDIS_URL": self.url}

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
