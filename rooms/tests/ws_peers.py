"""An aiortc "browser" speaking the page's protocol to the real RoomConsumer (for tests and bench).

``WsPeer`` wraps a connected ``WebsocketCommunicator``: it joins, publishes through a
``BrowserPeer`` (conference.testing.peers) whose sfu.* messages it translates to and from the client
protocol, and on ``media-restart`` it closes its peer connections and starts new ones, as
static/js/room.js does. Frames are counted per generation of peer connections, so a test can
tell media that flows again after a restart from media that flowed before it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack
from channels.testing import WebsocketCommunicator

from conference import protocol
from conference.testing.peers import BrowserPeer

TrackFactory = Callable[[], MediaStreamTrack | None]


class WsPeer:
    def __init__(
        self,
        ws: WebsocketCommunicator,
        *,
        audio: TrackFactory = lambda: None,
        video: TrackFactory = lambda: None,
    ) -> None:
        self.ws = ws
        self.make_audio = audio
        self.make_video = video
        self.frames_in: list[dict[str, Any]] = []  # every frame received, in order
        self.joined: dict[str, Any] = {}
        self.participant = 0
        self.peer: BrowserPeer | None = None
        self.generation = 0  # peer connections started so far (1 after the join)
        self.restarted_at: list[float] = []  # time.monotonic() of each media-restart
        self._old: list[BrowserPeer] = []
        self._reader: asyncio.Task[None] | None = None
        self._joined = asyncio.Event()

    async def join(self, timeout: float = 15) -> dict[str, Any]:
        await self.ws.send_to(text_data=json.dumps(protocol.client_join()))
        self._reader = asyncio.ensure_future(self._read())
        await asyncio.wait_for(self._joined.wait(), timeout)
        return self.joined

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.send_to(text_data=json.dumps(message))

    async def _handle(self, message: dict[str, Any]) -> None:
        """The BrowserPeer's sfu.* commands, as the page would send them."""
        kind = message["type"]
        if kind == "sfu.publish_offer":
            await self._send(protocol.client_publish_offer(sdp=message["sdp"]))
        elif kind == "sfu.subscribe_answer":
            await self._send(protocol.client_subscribe_answer(sdp=message["sdp"]))

    async def _start_media(self) -> None:
        self.generation += 1
        self.peer = BrowserPeer(
            self.participant, self._handle, audio=self.make_audio(), video=self.make_video()
        )
        self.peer.start()
        await self.peer.publish()

    async def _stop_media(self) -> None:
        if self.peer is not None:
            self._old.append(self.peer)
            await self.peer.close()
            self.peer = None

    async def _read(self) -> None:
        while True:
            # No timeout: the communicator cancels the application when one expires.
            message = json.loads(await self.ws.receive_from(timeout=24 * 3600))
            self.frames_in.append(message)
            kind = message["type"]
            if kind == "joined":
                self.joined = message
                self.participant = message["participant"]["id"]
                if message["media"]:
                    await self._start_media()
                self._joined.set()
            elif kind == "publish-answer" and self.peer is not None:
                self.peer.inbox.put_nowait({"type": "sfu.publish_answer", "sdp": message["sdp"]})
            elif kind == "subscribe-offer" and self.peer is not None:
                offer = {"type": "sfu.subscribe_offer", "sdp": message["sdp"], "tracks": message["tracks"]}
                self.peer.inbox.put_nowait(offer)
            elif kind == "media-restart":
                self.restarted_at.append(time.monotonic())
                await self._stop_media()
                await self._start_media()

    def frames(self, publisher: int, kind: str) -> int:
        """Frames of ``publisher``'s ``kind`` received by the current peer connections."""
        return self.peer.frames[(publisher, kind)] if self.peer is not None else 0

    def received(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.frames_in if m["type"] == kind]

    async def chat(self, text: str) -> None:
        await self._send(protocol.client_chat(text=text))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
            self._reader = None
        await self._stop_media()
