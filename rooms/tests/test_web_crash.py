"""A web process crashes mid-meeting (SIGKILL) with real processes: two Daphne processes on one
Redis and PostgreSQL, a real runsfu, Python pages with aiortc media. Each person comes back as
the same participant, listed once, in the same meeting, with media flowing again; a person whose
browser went away with the process is ended by the reaper."""

from __future__ import annotations

import signal
import socket
import sys
import time

from channels.db import database_sync_to_async
from django.test import Client, override_settings

from conference.testing.peers import PatternVideoTrack
from conference.testing.processes import WorkerProcess, worker_environment
from conference.testing.redis import free_port
from conference.testing.wspage import WsPage, wait_until
from rooms import services
from rooms.models import Meeting, Participant, Room
from rooms.tests.test_consumer import ConsumerTestCase

PRESENCE = {"PRESENCE_BEAT_SECONDS": "1", "PRESENCE_TTL_SECONDS": "4"}


def wait_listening(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {timeout} s")


@override_settings(**{k: float(v) for k, v in PRESENCE.items()})
class WebCrashTestCase(ConsumerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.processes: list[WorkerProcess] = []
        self.addCleanup(self.stop_processes)
        env = {**worker_environment(), **PRESENCE, "SFU_HOST_ADDRESSES": "127.0.0.1"}
        sfu = WorkerProcess.manage("sfu", "runsfu", env=env, ready=r"\bready\b")
        self.processes.append(sfu.start())
        self.web_ports = [free_port(), free_port()]
        self.webs = [self.start_web(port, env) for port in self.web_ports]
        sfu.wait_ready(60)
        for port in self.web_ports:
            wait_listening(port, 60)

    def start_web(self, port: int, env: dict[str, str]) -> WorkerProcess:
        argv = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "conference.asgi:application",
        ]
        web = WorkerProcess(f"web-{port}", argv, env=env)
        self.processes.append(web.start())
        return web

    def stop_processes(self) -> None:
        for p in reversed(self.processes):
            p.stop(timeout=5)

    def cookie(self, user: object) -> str:
        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    def guest_cookie(self, room: Room, name: str) -> str:  # type: ignore[override]
        client = Client()
        client.post(room.get_absolute_url(), {"name": name})
        return f"sessionid={client.cookies['sessionid'].value}"

    def urls(self, first: int) -> list[str]:
        ports = self.web_ports[first:] + self.web_ports[:first]
        return [f"ws://localhost:{port}/ws/rooms/{self.room.slug}/" for port in ports]

    async def test_sigkill_of_a_web_process_loses_nobodys_place(self) -> None:
        await Room.objects.filter(pk=self.room.pk).aupdate(access=Room.Access.LINK)
        alice = WsPage(
            "alice",
            self.urls(0),
            cookie=await database_sync_to_async(self.cookie)(self.alice),
            video=PatternVideoTrack,
        )
        bob = WsPage(
            "bob",
            self.urls(1),
            cookie=await database_sync_to_async(self.cookie)(self.bob),
            video=PatternVideoTrack,
        )
        # Gus's browser runs on the machine that goes down with web 0: it never comes back.
        gus = WsPage(
            "gus",
            self.urls(0)[:1],
            cookie=await database_sync_to_async(self.guest_cookie)(self.room, "Gus"),
            max_reconnects=0,
        )
        pages = [alice, bob, gus]
        try:
            for page in pages:
                page.start()
                await page.wait_joined(30)
            ids = {p.name: p.participant for p in pages}
            await alice.send({"type": "chat", "text": "before the crash"})
            await wait_until(
                lambda: bob.frames_from(ids["alice"]) > 10 and alice.frames_from(ids["bob"]) > 10,
                60,
                "media both ways",
            )
            meeting = await Meeting.objects.aget()

            self.webs[0].send_signal(signal.SIGKILL)  # alice and gus were on it
            killed_at = time.monotonic()

            await wait_until(lambda: len(alice.joins) == 2, 30, "alice back through the other web process")
            self.assertEqual(alice.participant, ids["alice"])  # her own place, resumed
            self.assertEqual(alice.connected_to, self.urls(1)[0])
            before = bob.frames_from(ids["alice"])
            await wait_until(
                lambda: bob.frames_from(ids["alice"]) > before + 10 and alice.frames_from(ids["bob"]) > 10,
                60,
                "media flowing again both ways",
                lambda: (
                    f"bob got {bob.frames_from(ids['alice'])} (before {before}), alice got "
                    f"{alice.frames_from(ids['bob'])}; alice joins {len(alice.joins)}, generation "
                    f"{alice.generation}, closes {alice.closes}; bob closes {bob.closes}\n"
                    + "\n".join(f"--- {p.name}\n{p.tail(25)}" for p in self.processes)
                ),
            )
            media_back = time.monotonic() - killed_at

            async def settled() -> bool:
                present = [
                    p
                    async for p in Participant.objects.filter(left_at__isnull=True).values_list(
                        "id", flat=True
                    )
                ]
                reaped = await database_sync_to_async(services.reap_absent_participants)()
                del reaped
                return sorted(present) == sorted([ids["alice"], ids["bob"]])

            await wait_until(settled, 40, "gus ended by the reaper, alice and bob present")
            self.assertEqual(bob.roster, {ids["alice"]: "Alice"})  # listed once; gus gone
            self.assertEqual(alice.roster, {ids["bob"]: "Bob"})
            self.assertEqual(await Participant.objects.acount(), 3)  # no second row for anyone
            self.assertEqual([m.pk async for m in Meeting.objects.all()], [meeting.pk])  # the same meeting
            self.assertIsNone((await Meeting.objects.aget()).ended_at)
            self.assertIn("before the crash", alice.joins[-1]["chat"][0]["text"])
            print(f"\nweb crash: media back {media_back:.1f} s after SIGKILL", file=sys.stderr)
        finally:
            for page in pages:
                await page.close()
