"""A Python "page" on a real web process: a WebSocket (``websockets``) that behaves like
static/js/signaling.js + room.js: it joins with its resume token, reconnects with a short backoff
when the socket drops (trying the next web address, as a load balancer would), rebuilds its
aiortc peer connections (conference.testing.peers.BrowserPeer) on every ``joined`` and
``media-restart``, and keeps the roster the server describes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import websockets
from aiortc import MediaStreamTrack

from conference import protocol
from conference.testing.peers import BrowserPeer

TrackFactory = Callable[[], MediaStreamTrack | None]


class WsPage:
    def __init__(
        self,
        name: str,
        urls: list[str],
        *,
        cookie: str,
        video: TrackFactory = lambda: None,
        audio: TrackFactory = lambda: None,
        max_reconnects: int = 20,
    ) -> None:
        self.name = name
        self.urls = urls  # ws://host:port/ws/rooms/<slug>/ of each web process
        self.cookie = cookie
        self.make_video, self.make_audio = video, audio
        self.max_reconnects = max_reconnects
        self.resume = ""
        self.participant = 0
        self.roster: dict[int, str] = {}  # everyone else, as the server says
        self.chat: list[str] = []
        self.joins: list[dict[str, Any]] = []  # every `joined`
        self.closes: list[int] = []  # close codes seen
        self.peer: BrowserPeer | None = None
        self.generation = 0
        self.connected_to = ""
        self.stopped = False
        self._ws: Any = None
        self._task: asyncio.Task[None] | None = None
        self._joined = asyncio.Event()

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"page-{self.name}")

    async def wait_joined(self, timeout: float = 20) -> None:
        await asyncio.wait_for(self._joined.wait(), timeout)

    async def close(self) -> None:
        """Leave as a page that is closed: the socket goes, nothing more."""
        self.stopped = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._stop_media()

    async def send(self, message: dict[str, Any]) -> None:
        if self._ws is not None:
            await self._ws.send(json.dumps(message))

    # --- the socket ---------------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while not self.stopped and attempt <= self.max_reconnects:
            url = self.urls[attempt % len(self.urls)]
            origin = url.replace("ws://", "http://").split("/ws/")[0]
            try:
                async with websockets.connect(
                    url,
                    additional_headers={"Cookie": self.cookie},
                    origin=origin,
                    open_timeout=5,
                    max_size=2**20,
                ) as ws:
                    self._ws, self.connected_to = ws, url
                    self._joined.clear()
                    await ws.send(json.dumps(protocol.client_join(resume=self.resume)))
                    async for raw in ws:
                        await self._handle(json.loads(raw))
                code = ws.close_code or 1000
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as e:
                code = getattr(e, "code", None) or getattr(getattr(e, "rcvd", None), "code", None) or 1006
            self._ws = None
            self.closes.append(code)
            if code in protocol.FINAL_CLOSE_CODES or self.stopped:
                return
            attempt += 1
            await asyncio.sleep(min(2.0, 0.2 * attempt))  # next address right away, then back off

    async def _handle(self, m: dict[str, Any]) -> None:
        kind = m["type"]
        if kind == "joined":
            self.joins.append(m)
            self.participant = m["participant"]["id"]
            self.resume = m["resume"]
            self.roster = {p["id"]: p["name"] for p in m["participants"]}
            self.chat = [c["text"] for c in m["chat"]]
            await self._stop_media()
            if m["media"]:
                await self._start_media()
            self._joined.set()
        elif kind == "participant-joined":
            self.roster[m["participant"]["id"]] = m["participant"]["name"]
        elif kind == "participant-left":
            self.roster.pop(m["participant"], None)
        elif kind == "chat":
            self.chat.append(m["message"]["text"])
        elif kind == "publish-answer" and self.peer is not None:
            self.peer.inbox.put_nowait({"type": "sfu.publish_answer", "sdp": m["sdp"]})
        elif kind == "subscribe-offer" and self.peer is not None:
            self.peer.inbox.put_nowait(
                {"type": "sfu.subscribe_offer", "sdp": m["sdp"], "tracks": m["tracks"]}
            )
        elif kind == "media-restart":
            await self._stop_media()
            await self._start_media()

    # --- media --------------------------------------------------------------------------------

    async def _peer_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "sfu.publish_offer":
            await self.send(protocol.client_publish_offer(sdp=message["sdp"]))
        elif message["type"] == "sfu.subscribe_answer":
            await self.send(protocol.client_subscribe_answer(sdp=message["sdp"]))

    async def _start_media(self) -> None:
        self.generation += 1
        self.peer = BrowserPeer(
            self.participant, self._peer_message, audio=self.make_audio(), video=self.make_video()
        )
        self.peer.start()
        await self.peer.publish()

    async def _stop_media(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            await peer.close()

    def frames_from(self, participant: int, kind: str = "video") -> int:
        """Frames of ``participant``'s ``kind`` received by the current peer connections."""
        return self.peer.frames[(participant, kind)] if self.peer is not None else 0


async def wait_until(
    check: Callable[[], Any],
    timeout: float,
    what: str,
    details: Callable[[], str] | None = None,
    interval: float = 0.2,
) -> None:
    """Poll an (optionally async) check until it is true; AssertionError after ``timeout``
    (with ``details()``, what the test knows then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"not within {timeout} s: {what}" + (f"\n{details()}" if details else ""))
