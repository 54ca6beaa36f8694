"""Serve conference.asgi with Granian (a Rust HTTP/WebSocket server) in this one process.

    .venv/bin/python -m conference.granian_web --host 127.0.0.1 --port 8000

Why not the ``granian`` command: it runs a supervisor and the application in a child process,
so the pid a supervisor (deploy/cluster.py, a test that SIGKILLs a web process, the bench that
reads its RSS) knows would not be the process that serves. Here Granian's embedded server runs
on this process's asyncio loop, like Daphne: one process, one pid.

Daphne stays the default everywhere (`deploy/cluster.py --web-server granian` or WEB_SERVER=granian
selects this): Granian 2.8.7 holds ~150 kB per idle WebSocket in its Rust side (tungstenite's
default 128 KiB read buffer, not configurable), against ~23 kB for bare Daphne
(docs/signaling.md has the side-by-side figures).

What Daphne did that is kept here (docs/signaling.md#web-servers):
- no lifespan (interface ``asginl``: Channels' router has no lifespan application);
- no access log (room links carry tokens); the web's own access lines come from
  conference.middleware; Granian's own lines go through our logging (JSON when LOG_FORMAT=json);
- the client address is the socket's peer: X-Forwarded-For is read by conference.ratelimit
  behind TRUSTED_PROXY_HOPS proxies, never trusted by the server;
- every idle WebSocket is held: ``backpressure`` (requests handled at once, WebSockets included)
  is raised from Granian's default (the backlog, 1024) to WEB_MAX_CONNECTIONS.
Not kept: Daphne pings every socket every 20 s and drops one silent for 30 s. Granian sends no
WebSocket pings; the load balancer's TCP keepalive (Caddy: 15 s probes) finds dead peers, and a
participant with media is also dropped by the SFU when ICE consent fails (docs/failover.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels
from granian.server.embed import Server


def application() -> Any:
    """Granian's factory: Django is set up (and its LOGGING applied) only now, after Granian
    configured its own loggers, so that ours win."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
    # The handshake's query on this loop, not the database thread: Granian's Rust thread does
    # the server's work, so the loop has room (under Daphne it does not; docs/signaling.md).
    os.environ.setdefault("DB_ON_EVENT_LOOP", "True")
    from conference.asgi import application as app

    return app


def build(host: str, port: int, max_connections: int, backlog: int) -> Server:
    return Server(
        application,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGINL,
        http=HTTPModes.http1,  # WebSockets are HTTP/1.1 upgrades; the proxy speaks HTTP/1.1
        websockets=True,
        backlog=backlog,
        backpressure=max_connections,
        log_level=LogLevels.warning,
        log_access=False,
    )


async def serve(server: Server) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    await server.serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--max-connections",
        type=int,
        default=int(os.environ.get("WEB_MAX_CONNECTIONS", "65536")),
        help="requests and WebSockets handled at once (more wait in the backlog)",
    )
    parser.add_argument("--backlog", type=int, default=int(os.environ.get("WEB_BACKLOG", "4096")))
    args = parser.parse_args()
    logging.getLogger("_granian").setLevel(logging.WARNING)
    asyncio.run(serve(build(args.host, args.port, args.max_connections, args.backlog)))
    # Stopped and every connection closed. Skip the interpreter's finalization: Granian's Rust
    # threads may still be winding down then, and once (a loaded machine) that ended in SIGABRT
    # instead of exit status 0, which a supervisor reads as a crash.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
