"""Test peers in THIS process driving an SFU worker in ANOTHER (a real ``runsfu``).

Why a separate process: peers and the SFU in one event loop compete for it (asyncio reads one
datagram per socket and loop turn), so with many peers ICE consent answers come late and
connections are declared lost; and a figure such as "command latency under attack" would measure
the attacker's CPU in the same loop, not the worker's isolation. Here commands and replies cross
the channel layer (Redis) as they do in production; the worker's figures come from ``sfu.stats``.

    with sfu_process("churn") as (proc, worker_id):     # runsfu, ready, SIGTERM at exit
        remote = RemoteSfu(worker_id)
        await remote.start()
        peer = await remote.join(1, meeting=5)
        report = await remote.stats(participant=1)
        await remote.close()

Peers read their sockets drained (sfu.aiortc_hooks_io) and, by default, do not decode.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Iterator
from typing import Any

from conference import protocol
from conference.testing.hostile import join_message
from conference.testing.peers import AudioStreamTrack, BrowserPeer
from conference.testing.processes import WorkerProcess
from conference.testing.vp8 import PreEncodedVideoTrack

STOP = "test.remote.stop"


@contextlib.contextmanager
def sfu_process(name: str, env: dict[str, str] | None = None) -> Iterator[tuple[WorkerProcess, str]]:
    """A ``runsfu`` process on loopback sharing this process's database and Redis prefix."""
    from conference.testing.processes import worker_environment

    worker_id = f"{name}-{os.getpid()}-{int(time.time() * 1000) % 1_000_000}"
    proc = WorkerProcess.manage(
        f"runsfu-{name}",
        "runsfu",
        "--worker-id",
        worker_id,
        env={**worker_environment(), "SFU_HOST_ADDRESSES": "127.0.0.1", **(env or {})},
        ready=f"SFU worker {worker_id} ready",
        ready_timeout=60,
    )
    with proc:
        yield proc, worker_id


class RemoteSfu:
    """Peers joined to meetings on the worker ``worker_id``, over the channel layer."""

    def __init__(self, worker_id: str, *, drain: bool = True) -> None:
        self.worker_id = worker_id
        self.target = protocol.sfu_channel(worker_id)
        self.peers: dict[int, BrowserPeer] = {}
        self.errors: list[dict[str, Any]] = []
        self.reply = ""
        self.layer: Any = None
        self.drain = drain
        self._tokens = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from channels.layers import get_channel_layer

        from sfu import aiortc_hooks, aiortc_hooks_io

        aiortc_hooks.set_host_addresses(["127.0.0.1"])
        if self.drain:
            aiortc_hooks_io.install_datagram_drain()
        self.layer = get_channel_layer()
        self.reply = await self.layer.new_channel("sfutest.")
        self._pump = asyncio.create_task(self._run(), name="remote-sfu-pump")

    async def _run(self) -> None:
        while True:
            message = await self.layer.receive(self.reply)
            kind = message.get("type")
            if kind == STOP:
                return
            if kind == "sfu.stats_report":
                waiter = self._waiting.pop(message["token"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
                continue
            if kind == "sfu.error":
                self.errors.append(message)
            peer = self.peers.get(message.get("participant", -1))
            if peer is not None:
                peer.inbox.put_nowait(message)

    async def send(self, message: dict[str, Any]) -> None:
        await self.layer.send(self.target, message)

    async def stats(self, participant: int | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """The worker's figures; with ``participant``, after that meeting's queued commands."""
        token = next(self._tokens)
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[token] = waiter
        message = protocol.sfu_stats(reply_channel=self.reply, token=token, participant=participant)
        await self.send(dict(message))
        try:
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiting.pop(token, None)

    async def join(
        self,
        participant: int,
        meeting: int,
        *,
        publish: bool = True,
        video: bool = True,
        decode: bool = False,
    ) -> BrowserPeer:
        peer = BrowserPeer(
            participant,
            self.send,
            video=PreEncodedVideoTrack() if publish and video else None,
            audio=AudioStreamTrack() if publish else None,
            decode=decode,
        )
        self.peers[participant] = peer
        peer.start()
        await self.send({**join_message(participant, meeting), "reply_channel": self.reply})
        await peer.publish()
        return peer

    async def leave(self, participant: int) -> None:
        await self.send(dict(protocol.sfu_leave(participant=participant)))
        peer = self.peers.pop(participant, None)
        if peer is not None:
            await peer.close()

    async def close(self) -> None:
        for pid in list(self.peers):
            await self.leave(pid)
        if self._pump is not None:
            # A channel-layer receive is not cancelled while it reads (conference.workers): stop it
            # with a message of its own, and cancel only if that did not arrive in time.
            await self.layer.send(self.reply, {"type": STOP})
            _, late = await asyncio.wait([self._pump], timeout=10)
            for task in late:
                task.cancel()
        from sfu import aiortc_hooks_io

        aiortc_hooks_io.uninstall_datagram_drain()
