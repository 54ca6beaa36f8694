"""uvicorn's wsproto protocol with less kept per open WebSocket (conference.uvicorn_web uses it).

Measured with tracemalloc on one web process holding 1,000 idle sockets (docs/signaling.md):
every empty ``collections.deque`` costs ~760 bytes, and uvicorn's WSProtocol keeps seven per
socket (its asyncio.Queue's three and its Event's, the ``writable`` Event's, wsproto's handshake
and connection event queues), and wsproto keeps the whole h11 handshake (parser state, the
request and its parsed headers) for the socket's life. Here, with the same behaviour:
- ``queue``: a list and one waiting future (uvicorn uses put_nowait, get and empty; one reader);
- ``writable``: a flag whose waiters list exists only while someone waits (backpressure);
- once the accept is sent, wsproto's handshake object is let go (every later event goes to its
  ``connection``, which is what ``events()`` and ``state`` read from then on), and that
  connection's event deque becomes a list (it is drained on every read).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from uvicorn.protocols.websockets.wsproto_impl import WSProtocol


class Mailbox:
    """The part of asyncio.Queue that WSProtocol uses, unbounded, for its one reader (the ASGI
    app's ``receive``, called one at a time)."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def empty(self) -> bool:
        return not self.items

    async def get(self) -> Any:
        while not self.items:
            if self.waiter is not None:
                raise RuntimeError("receive() called while another receive() waits")
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)


class Flag:
    """asyncio.Event's set, clear and wait, with no deque kept while nobody waits."""

    __slots__ = ("on", "waiters")

    def __init__(self) -> None:
        self.on = False
        self.waiters: list[asyncio.Future[None]] | None = None

    def set(self) -> None:
        self.on = True
        waiters, self.waiters = self.waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self.on = False

    def is_set(self) -> bool:
        return self.on

    async def wait(self) -> None:
        if self.on:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self.waiters is None:
            self.waiters = []
        self.waiters.append(waiter)
        try:
            await waiter
        finally:
            if self.waiters is not None and waiter in self.waiters:
                self.waiters.remove(waiter)


class EventList(list[Any]):
    """wsproto's connection event queue as a list (``append`` and ``popleft`` are all it uses)."""

    __slots__ = ()

    def popleft(self) -> Any:
        return self.pop(0)


class _Handshaken:
    """Stands for wsproto's finished handshake: it has no events left to give."""

    def events(self) -> Iterator[Any]:
        return iter(())


HANDSHAKEN = _Handshaken()


class LeanWSProtocol(WSProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Mailbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()

    async def send(self, message: Any) -> None:
        await super().send(message)
        conn = self.conn
        if conn.connection is not None and conn.handshake is not HANDSHAKEN:
            # Accepted: wsproto reads and writes through ``connection`` alone from now on.
            conn.handshake = HANDSHAKEN  # type: ignore[assignment]
            conn.connection._events = EventList(conn.connection._events)  # type: ignore[assignment]
