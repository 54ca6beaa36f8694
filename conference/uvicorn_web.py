"""Serve conference.asgi with uvicorn and wsproto in this one process.

    .venv/bin/python -m conference.uvicorn_web --host 127.0.0.1 --port 8000

Why uvicorn with ``--ws wsproto``: of the servers measured bare (docs/signaling.md), it holds an
idle WebSocket in the least memory (17.7 kB against Daphne's 22.6 kB and Granian's 150.6 kB);
its protocol is conference.uvicorn_ws's lean subclass (with our whole stack ~17 kB a socket).
Selected with `deploy/cluster.py --web-server uvicorn` or WEB_SERVER=uvicorn; Daphne stays the
default. The event loop and HTTP parser are uvloop and httptools when installed ("auto").

What Daphne did that is kept here (docs/signaling.md#web-servers):
- no lifespan (Channels' router has no lifespan application);
- no access log (room links carry tokens), and no logging config of uvicorn's own: Django's
  LOGGING (JSON with LOG_FORMAT=json) formats uvicorn's few lines too;
- the client address is the socket's peer (no proxy headers): X-Forwarded-For is read by
  conference.ratelimit behind TRUSTED_PROXY_HOPS proxies, never trusted by the server;
- a WebSocket ping every 20 s, the socket dropped when no pong comes within 10 s more (Daphne:
  dropped after 30 s silent);
- no per-message compression (Daphne offers none either; a zlib context per socket would cost
  far more than the socket);
- one process, one pid (no supervisor), and SIGTERM stops it with exit status 0: uvicorn's own
  signal capture would re-raise the signal after its shutdown.
Message size: wsproto refuses frames over WEB_WS_MAX_BYTES (1 MiB, close 1009); below that the
consumer answers "too-large" over WS_MAX_MESSAGE_BYTES, as under Daphne.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator

import uvicorn

from conference.uvicorn_ws import LeanWSProtocol


class Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # our handlers (serve) on the loop instead: a clean exit, not a re-raised signal


def build(host: str, port: int, max_bytes: int, backlog: int) -> Server:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
    config = uvicorn.Config(
        "conference.asgi:application",
        host=host,
        port=port,
        ws=LeanWSProtocol,  # uvicorn's wsproto protocol, less kept per socket (conference.uvicorn_ws)
        ws_max_size=max_bytes,
        ws_ping_interval=20.0,
        ws_ping_timeout=10.0,
        ws_per_message_deflate=False,
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        backlog=backlog,
        timeout_graceful_shutdown=10,  # bounded: open WebSockets are closed with 1012 first
    )
    return Server(config)


async def serve(server: Server) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, setattr, server, "should_exit", True)
    await server.serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--backlog", type=int, default=int(os.environ.get("WEB_BACKLOG", "4096")))
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=int(os.environ.get("WEB_WS_MAX_BYTES", str(1 << 20))),
        help="largest WebSocket message the server reads (the consumer's own limit is lower)",
    )
    args = parser.parse_args()
    server = build(args.host, args.port, args.max_bytes, args.backlog)
    with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
        runner.run(serve(server))


if __name__ == "__main__":
    main()
