"""ICE host candidates on a fixed UDP port range (SFU_PORT_MIN..SFU_PORT_MAX) for aioice 0.13.0.

aioice binds every host socket to port 0 (any port), so a firewall or a container runtime would
have to open all of 1024-65535. ``set_port_range`` swaps ``Connection.get_component_candidates``
for a copy of aioice's that binds inside the range instead: ports are tried from a random start,
so several worker processes on one host can share one range (a port in use is skipped).

Process-wide: the worker process calls it once (sfu.worker.SfuWorker). TURN client sockets (the
SFU normally needs none) are not affected.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import random
import socket
from typing import Any

import aioice
from aioice import turn
from aioice.candidate import Candidate, candidate_foundation, candidate_priority
from aioice.ice import (
    Connection,
    StunProtocol,
    TransportPolicy,
    relayed_candidate,
    server_reflexive_candidate,
)

logger = logging.getLogger(__name__)

AIOICE_VERSION = "0.13.0"
if aioice.__version__ != AIOICE_VERSION:  # the copy below follows that version's method
    logger.warning(
        "sfu.aiortc_hooks_ports is written for aioice %s, found %s", AIOICE_VERSION, aioice.__version__
    )

_original = Connection.get_component_candidates
_range: tuple[int, int] = (0, 0)


def set_port_range(port_min: int, port_max: int) -> None:
    """Bind ICE host sockets within [port_min, port_max]; (0, 0) restores aioice's any-port."""
    global _range
    if (port_min, port_max) == (0, 0):
        _range = (0, 0)
        Connection.get_component_candidates = _original  # type: ignore[method-assign]
        return
    if not 1 <= port_min <= port_max <= 65535:
        raise ValueError(f"bad SFU port range {port_min}-{port_max}")
    _range = (port_min, port_max)
    Connection.get_component_candidates = _get_component_candidates  # type: ignore[method-assign]


def port_range() -> tuple[int, int]:
    return _range


async def _bind_in_range(
    loop: asyncio.AbstractEventLoop, connection: Connection, address: str
) -> tuple[asyncio.DatagramTransport, StunProtocol]:
    low, high = _range
    count = high - low + 1
    start = random.randrange(count)
    for i in range(count):
        port = low + (start + i) % count
        try:
            return await loop.create_datagram_endpoint(
                lambda: StunProtocol(connection), local_addr=(address, port)
            )  # type: ignore[return-value]
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, f"every port of {low}-{high} is in use on {address}")


async def _get_component_candidates(
    self: Connection, component: int, addresses: list[str], timeout: int = 5
) -> list[Candidate]:
    # aioice 0.13.0 Connection.get_component_candidates; only the host socket's bind differs.
    candidates = []
    loop = asyncio.get_running_loop()

    host_protocols = []
    for address in addresses:
        try:
            transport, protocol = await _bind_in_range(loop, self, address)
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, turn.UDP_SOCKET_BUFFER_SIZE)
        except OSError as exc:
            logger.warning("ICE: could not bind to %s in the SFU port range: %s", address, exc)
            continue
        host_protocols.append(protocol)

        candidate_address = protocol.transport.get_extra_info("sockname")
        protocol.local_candidate = Candidate(
            foundation=candidate_foundation("host", "udp", candidate_address[0]),
            component=component,
            transport="udp",
            priority=candidate_priority(component, "host"),
            host=candidate_address[0],
            port=candidate_address[1],
            type="host",
        )
        candidates.append(protocol.local_candidate)
    self._protocols += host_protocols

    tasks: list[asyncio.Task[Any]] = []
    if self.stun_server:
        for protocol in host_protocols:
            if ipaddress.ip_address(protocol.local_candidate.host).version == 4:
                tasks.append(asyncio.create_task(server_reflexive_candidate(protocol, self.stun_server)))
    if self.turn_server:
        tasks.append(
            asyncio.create_task(
                relayed_candidate(
                    component=component,
                    hide_related_address=(self._transport_policy == TransportPolicy.RELAY),
                    protocol_factory=lambda: StunProtocol(self),
                    turn_server=self.turn_server,
                    turn_username=self.turn_username,
                    turn_password=self.turn_password,
                    turn_ssl=self.turn_ssl,
                    turn_transport=self.turn_transport,
                )
            )
        )
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in done:
            if task.exception() is None:
                candidate, relay_protocol = task.result()
                candidates.append(candidate)
                if relay_protocol is not None:
                    self._protocols.append(relay_protocol)
        for task in pending:
            task.cancel()
    return candidates


__all__ = ["port_range", "set_port_range"]
