"""Recovery time after SIGKILL of the SFU worker carrying a live meeting.

    .venv/bin/python bench/sfu_failover.py [--rounds 3]

Real parts: two ``runsfu`` processes (Redis heartbeats, default SFU_HEARTBEAT_SECONDS and
SFU_WORKER_TTL_SECONDS unless set in the environment), the real RoomConsumer in this process
(with its heartbeat watch), and two aiortc peers that publish 320x240 video over the consumer's
protocol and rebuild their peer connections on ``media-restart`` (rooms.tests.ws_peers). Each
round SIGKILLs the worker carrying the meeting (a fresh one is started first, so one other is
always live) and measures from the kill until both peers receive video again from each other
(5 frames on the new connections). A throwaway SQLite database; Redis from REDIS_URL under a
prefix of its own; everything on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="sfu-failover-"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "conference.settings",
        "DATABASE_URL": f"sqlite:///{TMP / 'bench.sqlite3'}",
        "REDIS_PREFIX": f"bench-failover-{os.getpid()}",
        "CAPTIONS_ENABLED": "False",
        "SFU_HOST_ADDRESSES": "127.0.0.1",
    }
)

FRAMES = 5  # video frames each way on the new connections = media flowing again


class Worker:
    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.log = (TMP / f"{worker_id}.log").open("w+b")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runsfu", "--worker-id", worker_id],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while b" ready" not in Path(self.log.name).read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.worker_id} did not start:\n{Path(self.log.name).read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


async def until(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def run(rounds: int) -> list[float]:
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.test import Client

    from conference.asgi import application
    from conference.testing import make_users
    from conference.testing.peers import PatternVideoTrack
    from rooms.models import Meeting
    from rooms.tests.ws_peers import WsPeer

    class Names:
        pass

    names = Names()
    await database_sync_to_async(make_users)(names)

    def cookie(user: object) -> str:
        client = Client()
        client.force_login(user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    def communicator(user: object) -> WebsocketCommunicator:
        headers = [
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", cookie(user).encode()),
        ]
        return WebsocketCommunicator(application, f"/ws/rooms/{names.room.slug}/", headers=headers)

    workers = [Worker(f"bench-{os.getpid()}-0")]
    await asyncio.to_thread(workers[0].wait_ready)
    peers: list[WsPeer] = []
    results: list[float] = []
    try:
        for user in (names.alice, names.bob):
            ws = await database_sync_to_async(communicator)(user)
            connected, _ = await ws.connect(timeout=10)
            assert connected
            peer = WsPeer(ws, video=lambda: PatternVideoTrack(320, 240, fps=30))
            peers.append(peer)
            await peer.join()
        alice, bob = peers

        def flowing() -> bool:
            return (
                alice.frames(bob.participant, "video") >= FRAMES
                and bob.frames(alice.participant, "video") >= FRAMES
            )

        await until(flowing, 30, "media before the first kill")
        for i in range(rounds):
            spare = Worker(f"bench-{os.getpid()}-{i + 1}")
            workers.append(spare)
            await asyncio.to_thread(spare.wait_ready)
            meeting = await Meeting.objects.aget(participants__id=alice.participant)
            doomed = next(w for w in workers if w.worker_id == meeting.sfu_worker)
            generations = (alice.generation, bob.generation)
            killed_at = time.monotonic()
            doomed.proc.kill()
            await asyncio.to_thread(doomed.proc.wait, 10)
            await until(
                lambda g=generations: alice.generation > g[0] and bob.generation > g[1] and flowing(),
                60,
                f"media after kill {i + 1}",
            )
            took = time.monotonic() - killed_at
            restart = max(p.restarted_at[-1] for p in peers) - killed_at
            results.append(took)
            print(
                f"round {i + 1}: media-restart after {restart:.1f} s, media flowing after {took:.1f} s",
                flush=True,
            )
    finally:
        for peer in peers:
            await peer.close()
            await peer.ws.disconnect(timeout=5)
        for w in workers:
            w.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    print(
        f"SFU_HEARTBEAT_SECONDS={settings.SFU_HEARTBEAT_SECONDS} SFU_WORKER_TTL_SECONDS={settings.SFU_WORKER_TTL_SECONDS}",
        flush=True,
    )
    try:
        results = asyncio.run(run(args.rounds))
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print(
        f"recovery after SIGKILL: {statistics.median(results):.1f} s (kill to media flowing; "
        f"median of {len(results)}, worst {max(results):.1f} s)"
    )


if __name__ == "__main__":
    main()
