"""The client side of bench/signaling.py: WebSocket clients run in child processes (many clients in
one Python process would measure that process's event loop, not the server).

Each function here is the body of one child process; it talks to the parent through a
multiprocessing queue (results) and events (when to let go). No Django here: the children are
plain ``websockets`` clients, as browsers would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from typing import Any

import websockets

OPEN_TIMEOUT = 30.0  # seconds for one handshake; a server that slow is reported, not waited for


def raise_fd_limit(want: int) -> int:
    """Soft (and, as root, hard) RLIMIT_NOFILE to at least ``want``; the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def open_socket(url: str, cookie: str) -> Any:
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    return await websockets.connect(
        url,
        additional_headers={"Cookie": cookie},
        origin=origin,  # type: ignore[arg-type]
        open_timeout=OPEN_TIMEOUT,
        ping_interval=None,  # the server pings; answering is enough
        max_size=2**22,
    )


async def open_many(
    url: str, cookies: list[str], count: int, concurrency: int, retries: int = 0
) -> tuple[list[Any], int]:
    """Open ``count`` sockets, ``concurrency`` handshakes at a time, each tried up to
    ``retries`` more times after a failure (1 s apart); (sockets, failures after the tries)."""
    sockets: list[Any] = []
    failures = 0
    next_index = 0

    async def opener() -> None:
        nonlocal failures, next_index
        while next_index < count:
            i, next_index = next_index, next_index + 1
            for attempt in range(retries + 1):
                try:
                    sockets.append(await open_socket(url, cookies[i % len(cookies)]))
                    break
                except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
                    if attempt == retries:
                        failures += 1
                    else:
                        await asyncio.sleep(1.0)

    await asyncio.gather(*(opener() for _ in range(max(1, min(concurrency, count)))))
    return sockets, failures


async def close_all(sockets: list[Any]) -> None:
    async def one(ws: Any) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 10)

    for start in range(0, len(sockets), 500):  # a few hundred closes at a time
        await asyncio.gather(*(one(ws) for ws in sockets[start : start + 500]))


def hold(
    url: str,
    cookies: list[str],
    count: int,
    concurrency: int,
    start_at: float,
    results: Any,
    release: Any,
    retries: int = 0,
) -> None:
    """Open ``count`` sockets from ``start_at`` (time.time(), the same for every child), report
    (opened, failures, first start, last accepted), hold them until ``release`` (bounded), close."""
    raise_fd_limit(count + 256)

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        began = time.time()
        sockets, failures = await open_many(url, cookies, count, concurrency, retries)
        results.put({"opened": len(sockets), "failures": failures, "began": began, "ended": time.time()})
        await asyncio.to_thread(release.wait, 600)
        await close_all(sockets)

    asyncio.run(main())


def participants(
    url: str,
    cookies: list[str],
    results: Any,
    go: Any,
    done: Any,
    sender: bool,
    messages: int,
    interval: float,
) -> None:
    """Join the meeting with one socket per cookie, say so, then either send ``messages`` chat
    messages stamped with time.time() (``sender``) or record send->receive latencies of every
    stamped chat message until ``done``."""
    raise_fd_limit(len(cookies) + 256)

    async def member(ws: Any, latencies: list[tuple[int, float]]) -> None:
        async for raw in ws:
            m = json.loads(raw)
            if m["type"] == "chat" and not sender:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    stamp = json.loads(m["message"]["text"])
                    latencies.append((stamp["i"], time.time() - stamp["bench"]))

    async def join(ws: Any) -> bool:
        await ws.send(json.dumps({"type": "join"}))
        async with asyncio.timeout(60):
            async for raw in ws:
                if json.loads(raw)["type"] == "joined":
                    return True
                if json.loads(raw)["type"] == "error":
                    return False
        return False

    async def main() -> None:
        sockets, failures = await open_many(url, cookies, len(cookies), 20)
        joined = await asyncio.gather(*(join(ws) for ws in sockets), return_exceptions=True)
        latencies: list[tuple[int, float]] = []
        readers = [asyncio.create_task(member(ws, latencies)) for ws in sockets]
        results.put({"joined": sum(1 for j in joined if j is True), "failures": failures})
        await asyncio.to_thread(go.wait, 300)
        if sender:
            for i in range(messages):
                text = json.dumps({"bench": time.time(), "i": i})
                await sockets[0].send(json.dumps({"type": "chat", "text": text}))
                await asyncio.sleep(interval)
            await asyncio.sleep(2)  # the last message's fan-out
        else:
            await asyncio.to_thread(done.wait, 300)
        for task in readers:
            task.cancel()
        results.put({"latencies": latencies})
        await close_all(sockets)

    asyncio.run(main())
