"""A real coturn (Debian's ``turnserver``) on 127.0.0.1 for tests, and a small TURN client.

``Coturn`` writes a config with ``use-auth-secret`` (the scheme of conference/turn.py), starts
turnserver, waits (bounded) until an Allocate with fresh credentials succeeds, and stops it.
Loopback peers are allowed here only: the production template (deploy/turnserver.conf) denies
relaying into private and loopback ranges; ``Coturn(base=...)`` starts from such a file.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import time
from pathlib import Path

from aioice.stun import TransactionFailed
from aioice.turn import TurnClientUdpProtocol

from conference import turn
from conference.testing.processes import WorkerProcess

TURNSERVER = "/usr/bin/turnserver"
SECRET = "test-turn-secret"
REALM = "meet.test"
# Settings of the production template that a loopback test must replace.
REPLACED = ("listening-ip", "listening-port", "relay-ip", "external-ip", "realm", "static-auth-secret")
REPLACED += ("cert", "pkey", "log-file", "syslog", "pidfile", "min-port", "max-port", "tls-listening-port")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Coturn:
    def __init__(self, *, base: Path | None = None, loopback_peers: bool = True) -> None:
        if shutil.which(TURNSERVER) is None:
            raise RuntimeError("coturn is not installed (deploy/system-packages.sh installs it)")
        self.port = free_udp_port()
        self.dir = Path(tempfile.mkdtemp(prefix="coturn-"))
        lines = []
        if base is not None:
            for line in base.read_text().splitlines():
                key = line.strip().split("=", 1)[0]
                if key and not key.startswith("#") and key not in REPLACED:
                    lines.append(line.strip())
        else:
            lines += ["use-auth-secret", "fingerprint", "no-multicast-peers"]
        relay = free_udp_port()
        lines += [
            "listening-ip=127.0.0.1",
            f"listening-port={self.port}",
            "relay-ip=127.0.0.1",
            f"min-port={relay}",
            f"max-port={relay + 40}",
            f"realm={REALM}",
            f"static-auth-secret={SECRET}",
            "no-tls",
            "no-dtls",
            "no-cli",
            "log-file=stdout",
            "simple-log",
            "verbose",  # logs each allocation with its username (the tests read them)
            f"pidfile={self.dir / 'turnserver.pid'}",
            f"userdb={self.dir / 'turndb'}",
        ]
        if loopback_peers:
            lines.append("allow-loopback-peers")
        self.config = self.dir / "turnserver.conf"
        self.config.write_text("\n".join(lines) + "\n")
        self.process = WorkerProcess(
            "coturn", [TURNSERVER, "-c", str(self.config)], ready=r"Total General servers", ready_timeout=15
        )

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def credentials(self, who: str = "test", ttl: int = 600, now: float | None = None) -> tuple[str, str]:
        return turn.credentials(secret=SECRET, who=who, ttl=ttl, now=now)

    def start(self) -> Coturn:
        self.process.start().wait_ready()
        # Listening sockets open right after that line: allocate until it answers (bounded).
        deadline = time.monotonic() + 10
        while True:
            try:
                asyncio.run(self._probe())
                return self
            except (OSError, ConnectionError, TimeoutError, TransactionFailed):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"coturn does not answer:\n{self.process.tail()}") from None
                time.sleep(0.2)

    async def _probe(self) -> None:
        client = await TurnClient.allocate(("127.0.0.1", self.port), *self.credentials())
        await client.close()

    def stop(self) -> None:
        self.process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Coturn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class TurnClient:
    """One TURN allocation over UDP (aioice's client protocol); every call is bounded."""

    TIMEOUT = 5.0

    def __init__(self, transport: asyncio.DatagramTransport, protocol: TurnClientUdpProtocol) -> None:
        self.transport = transport
        self.protocol = protocol
        self.relayed: tuple[str, int] | None = None

    @classmethod
    async def allocate(cls, server: tuple[str, int], username: str, password: str) -> TurnClient:
        """Raises aioice.stun.TransactionFailed (with the server's ERROR-CODE) when refused."""
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: TurnClientUdpProtocol(
                server, username=username, password=password, lifetime=600, channel_refresh_time=500
            ),
            remote_addr=server,
        )
        client = cls(transport, protocol)  # type: ignore[arg-type]
        try:
            client.relayed = await asyncio.wait_for(protocol.connect(), cls.TIMEOUT)
        except BaseException:
            transport.close()
            raise
        return client

    async def bind_channel(self, peer: tuple[str, int]) -> None:
        """ChannelBind to ``peer``: refused (403) when the server denies relaying there."""
        await asyncio.wait_for(self.protocol.channel_bind(0x4000, peer), self.TIMEOUT)

    async def close(self) -> None:
        try:  # delete() closes the socket whatever the server answers
            await asyncio.wait_for(self.protocol.delete(), self.TIMEOUT)
        finally:
            self.transport.close()


def error_code(exc: TransactionFailed) -> int:
    return exc.response.attributes["ERROR-CODE"][0]
