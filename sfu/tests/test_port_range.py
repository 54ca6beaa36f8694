"""SFU_PORT_MIN/SFU_PORT_MAX: the worker's ICE host sockets bind inside the range.

The process test runs a real ``runsfu`` with the range in its environment and real aiortc peers
(in this process, which keeps aioice's any-port binding) joined through the channel layer.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from typing import Any

from aioice import Connection
from channels.layers import get_channel_layer
from django.test import SimpleTestCase

from conference import protocol
from conference.testing import reset_channel_layers
from conference.testing.peers import AudioStreamTrack, BrowserPeer, PatternVideoTrack, wait_for
from conference.testing.processes import WorkerProcess
from sfu import aiortc_hooks_ports

CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\w+)", re.MULTILINE)


def candidate_ports(sdp: str) -> list[int]:
    return [int(m.group(2)) for m in CANDIDATE.finditer(sdp)]


def free_range(size: int) -> tuple[int, int]:
    """A range of ports that are free now, away from the kernel's ephemeral range (32768+ here)."""
    base = 20000 + (os.getpid() * 37) % 10000
    while True:
        try:
            for port in range(base, base + size):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind(("127.0.0.1", port))
            return base, base + size - 1
        except OSError:
            base += size


class PortRangeHookTests(SimpleTestCase):
    def setUp(self) -> None:
        self.addCleanup(aiortc_hooks_ports.set_port_range, 0, 0)
        self.conns: list[Connection] = []

    async def gather(self) -> tuple[Connection, list[Any]]:
        conn = Connection(ice_controlling=True)
        self.conns.append(conn)
        candidates = await conn.get_component_candidates(component=1, addresses=["127.0.0.1"])
        return conn, candidates

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()

    async def test_host_candidates_lie_in_the_range(self) -> None:
        low, high = free_range(4)
        aiortc_hooks_ports.set_port_range(low, high)
        ports = []
        for _ in range(4):
            _conn, candidates = await self.gather()
            ports += [c.port for c in candidates]
        await self.close()
        self.assertEqual(len(ports), 4)
        self.assertEqual(sorted(ports), list(range(low, high + 1)))  # all four, each once

    async def test_a_full_range_gives_no_candidate_instead_of_a_port_outside(self) -> None:
        low, high = free_range(2)
        aiortc_hooks_ports.set_port_range(low, high)
        await self.gather()
        await self.gather()
        with self.assertLogs("sfu.aiortc_hooks_ports", "WARNING"):
            _conn, candidates = await self.gather()
        await self.close()
        self.assertEqual(candidates, [])

    async def test_zero_restores_any_port(self) -> None:
        low, high = free_range(2)
        aiortc_hooks_ports.set_port_range(low, high)
        aiortc_hooks_ports.set_port_range(0, 0)
        _conn, candidates = await self.gather()
        await self.close()
        self.assertEqual(len(candidates), 1)
        self.assertFalse(low <= candidates[0].port <= high)

    def test_a_bad_range_is_refused(self) -> None:
        for bad in ((0, 10), (5000, 4000), (1, 70000)):
            with self.assertRaises(ValueError):
                aiortc_hooks_ports.set_port_range(*bad)


class WorkerPortRangeTests(SimpleTestCase):
    def setUp(self) -> None:
        reset_channel_layers()

    async def test_the_workers_candidates_lie_in_the_range_and_media_flows(self) -> None:
        low, high = free_range(10)
        worker_id = f"ports-{os.getpid()}-{int(time.time())}"
        proc = WorkerProcess.manage(
            "runsfu",
            "runsfu",
            "--worker-id",
            worker_id,
            env={"SFU_HOST_ADDRESSES": "127.0.0.1", "SFU_PORT_MIN": str(low), "SFU_PORT_MAX": str(high)},
            ready=f"SFU worker {worker_id} ready",
            ready_timeout=30,
        )
        self.addCleanup(proc.stop)
        await asyncio.to_thread(lambda: proc.start().wait_ready())
        layer = get_channel_layer()
        target = protocol.sfu_channel(worker_id)
        peers: dict[int, BrowserPeer] = {}
        sdps: list[str] = []
        readers: list[asyncio.Task[None]] = []

        async def join(participant: int, publish: bool) -> BrowserPeer:
            reply = await layer.new_channel("porttest.")

            async def handle(message: dict[str, Any]) -> None:
                await layer.send(target, message)

            peer = BrowserPeer(
                participant,
                handle,
                video=PatternVideoTrack() if publish else None,
                audio=AudioStreamTrack() if publish else None,
            )

            async def read() -> None:
                while True:
                    message = await layer.receive(reply)
                    if "sdp" in message:
                        sdps.append(message["sdp"])
                    peer.inbox.put_nowait(message)

            readers.append(asyncio.create_task(read()))
            peers[participant] = peer
            peer.start()
            await layer.send(
                target,
                protocol.sfu_join(
                    meeting=1,
                    room=1,
                    meeting_started_at=time.time(),
                    captions=False,
                    participant=participant,
                    name=f"P{participant}",
                    reply_channel=reply,
                ),
            )
            if publish:
                await peer.publish()
            return peer

        try:
            await join(1, publish=True)
            viewer = await join(2, publish=False)
            await wait_for(lambda: viewer.frames[(1, "video")] >= 5, 20, "video through the ranged worker")
            ports = [p for sdp in sdps for p in candidate_ports(sdp)]
            self.assertGreaterEqual(len(ports), 2, sdps)
            for port in ports:
                self.assertTrue(low <= port <= high, f"candidate port {port} outside {low}-{high}")
        finally:
            for task in readers:
                task.cancel()
            for peer in peers.values():
                await peer.close()
