"""Heartbeats and placement on the real Redis (settings.REDIS_URL, under a prefix of their own)."""

from __future__ import annotations

import asyncio
import threading
import time

from django.conf import settings
from django.test import SimpleTestCase, override_settings

from conference import protocol
from conference.test_runner import flush_prefix
from sfu import placement
from sfu.heartbeat import Heartbeat, delete_heartbeat, write_heartbeat

# Only this module's heartbeats are visible to placement: workers of other tests do not interfere.
PREFIX = f"{settings.REDIS_PREFIX}-placement"


def beat(
    worker_id: str,
    load: int,
    started_at: float = 0.0,
    full: bool = False,
    streams: int = 0,
    capacity: int = 0,
) -> protocol.SfuHeartbeat:
    return protocol.sfu_heartbeat(
        worker_id=worker_id, load=load, started_at=started_at, full=full, streams=streams, capacity=capacity
    )


@override_settings(REDIS_PREFIX=PREFIX)
class PlacementTestCase(SimpleTestCase):
    def setUp(self) -> None:
        flush_prefix(PREFIX)
        self.addCleanup(flush_prefix, PREFIX)

    async def announce(self, *beats: protocol.SfuHeartbeat) -> None:
        for b in beats:
            await write_heartbeat(placement.redis_client(), b)


class ChooseWorkerTests(PlacementTestCase):
    async def test_least_loaded_live_worker_is_picked(self) -> None:
        now = time.time()
        await self.announce(beat("reg-busy", 9, now), beat("reg-idle", 1, now))
        self.assertEqual(await placement.choose_worker(), "reg-idle")

    async def test_malformed_heartbeat_is_not_a_live_worker(self) -> None:
        await self.announce(beat("reg-idle", 1))
        await placement.redis_client().set(placement.heartbeat_key("reg-garbage"), b"not json", px=2000)
        ids = {w["worker_id"] for w in await placement.live_workers()}
        self.assertEqual(ids, {"reg-idle"})
        self.assertEqual(await placement.choose_worker(), "reg-idle")

    async def test_no_live_worker_means_none(self) -> None:
        self.assertEqual(await placement.live_workers(), [])
        self.assertIsNone(await placement.choose_worker())
        self.assertIsNone(await placement.choose_worker(current="gone"))

    async def test_current_worker_is_kept_while_alive_whatever_the_load(self) -> None:
        await self.announce(beat("reg-busy", 9), beat("reg-idle", 1))
        self.assertTrue(await placement.is_alive("reg-busy"))
        self.assertEqual(await placement.choose_worker(current="reg-busy"), "reg-busy")

    async def test_dead_current_worker_is_replaced_by_the_least_loaded(self) -> None:
        await self.announce(beat("reg-busy", 9), beat("reg-idle", 1))
        self.assertFalse(await placement.is_alive("reg-gone"))
        self.assertEqual(await placement.choose_worker(current="reg-gone"), "reg-idle")

    async def test_avoided_worker_is_never_chosen(self) -> None:
        await self.announce(beat("reg-busy", 9), beat("reg-idle", 1))
        self.assertEqual(await placement.choose_worker(current="reg-idle", avoid="reg-idle"), "reg-busy")
        self.assertEqual(await placement.choose_worker(avoid="reg-idle"), "reg-busy")

    async def test_only_the_avoided_worker_means_none(self) -> None:
        await self.announce(beat("reg-idle", 1))
        self.assertIsNone(await placement.choose_worker(current="reg-idle", avoid="reg-idle"))

    async def test_full_worker_is_skipped(self) -> None:
        await self.announce(beat("reg-full", 0, full=True), beat("reg-busy", 9))
        self.assertEqual(await placement.choose_worker(), "reg-busy")
        workers = {w["worker_id"]: w for w in await placement.live_workers()}
        self.assertTrue(workers["reg-full"]["full"])
        self.assertFalse(workers["reg-busy"]["full"])

    async def test_full_current_worker_keeps_its_meeting(self) -> None:
        await self.announce(beat("reg-full", 5, full=True), beat("reg-idle", 0))
        self.assertEqual(await placement.choose_worker(current="reg-full"), "reg-full")

    async def test_only_full_workers_means_none(self) -> None:
        await self.announce(beat("reg-full", 0, full=True))
        self.assertIsNone(await placement.choose_worker())

    async def test_heartbeat_without_full_field_is_not_full(self) -> None:
        raw = b'{"worker_id": "reg-old", "load": 2, "started_at": 1.0}'
        await placement.redis_client().set(placement.heartbeat_key("reg-old"), raw, px=2000)
        self.assertEqual(
            await placement.live_workers(),
            [
                {
                    "worker_id": "reg-old",
                    "load": 2,
                    "started_at": 1.0,
                    "full": False,
                    "streams": 0,
                    "capacity": 0,
                }
            ],
        )
        self.assertEqual(await placement.choose_worker(), "reg-old")

    async def test_worker_at_its_stream_capacity_takes_no_new_meeting(self) -> None:
        # Not flagged full (an older worker, or its flag lags): the announced figures decide.
        await self.announce(
            beat("reg-at-cap", 1, streams=300, capacity=300), beat("reg-room", 20, streams=10)
        )
        self.assertEqual(await placement.choose_worker(), "reg-room")
        await self.announce(beat("reg-room", 20, streams=301, capacity=300))
        self.assertIsNone(await placement.choose_worker())

    async def test_worker_with_the_most_room_wins_over_fewer_participants(self) -> None:
        await self.announce(
            beat("reg-few-people", 2, streams=250, capacity=300),  # 83 % of its capacity in use
            beat("reg-many-people", 10, streams=90, capacity=300),  # 30 %
            beat("reg-big", 10, streams=150, capacity=600),  # 25 %
        )
        self.assertEqual(await placement.choose_worker(), "reg-big")

    async def test_meeting_on_a_worker_at_capacity_stays_there(self) -> None:
        await self.announce(beat("reg-at-cap", 3, streams=300, capacity=300, full=True), beat("reg-room", 0))
        self.assertEqual(await placement.choose_worker(current="reg-at-cap"), "reg-at-cap")
        self.assertEqual(await placement.choose_worker(), "reg-room")

    @override_settings(SFU_WORKER_TTL_SECONDS=0.3)
    async def test_heartbeat_expires(self) -> None:
        await self.announce(beat("reg-short", 0))
        self.assertTrue(await placement.is_alive("reg-short"))
        await asyncio.sleep(0.5)
        self.assertFalse(await placement.is_alive("reg-short"))
        self.assertIsNone(await placement.choose_worker())


class TieBreakTests(SimpleTestCase):
    def test_equal_load_goes_to_the_oldest_worker(self) -> None:
        workers = [beat("b", 1, started_at=20.0), beat("a", 1, started_at=30.0), beat("c", 2, 1.0)]
        self.assertEqual(placement.least_loaded(workers), "b")

    def test_equal_load_and_age_goes_to_the_smallest_id(self) -> None:
        workers = [beat("b", 1, 10.0), beat("a", 1, 10.0)]
        self.assertEqual(placement.least_loaded(workers), "a")

    def test_order_of_heartbeats_does_not_matter(self) -> None:
        workers = [beat("b", 1, 10.0), beat("a", 1, 10.0), beat("c", 0, 99.0)]
        self.assertEqual(placement.least_loaded(workers), "c")
        self.assertEqual(placement.least_loaded(list(reversed(workers))), "c")


class RedisPoolTests(SimpleTestCase):
    async def test_one_client_per_event_loop(self) -> None:
        self.assertIs(placement.redis_client(), placement.redis_client())
        here = placement.redis_client()
        other: list[object] = []

        def in_another_loop() -> None:
            async def get() -> None:
                other.append(placement.redis_client())
                await other[0].ping()  # type: ignore[attr-defined]

            asyncio.run(get())

        thread = threading.Thread(target=in_another_loop)
        thread.start()
        await asyncio.to_thread(thread.join, 10)
        self.assertEqual(len(other), 1)
        self.assertIsNot(other[0], here)
        # The other loop closed: its client was closed with it and forgotten.
        self.assertNotIn(other[0], placement._clients.values())
        self.assertIn(here, placement._clients.values())

    async def test_calls_reuse_one_connection(self) -> None:
        first = await placement.redis_client().client_id()
        for _ in range(5):
            await placement.is_alive("reg-nobody")
            await placement.live_workers()
        self.assertEqual(await placement.redis_client().client_id(), first)


@override_settings(REDIS_PREFIX=PREFIX, SFU_HEARTBEAT_SECONDS=0.05)
class HeartbeatTests(PlacementTestCase):
    async def test_heartbeat_announces_load_and_fullness_then_removes_itself(self) -> None:
        load = [2]
        heartbeat = Heartbeat("reg-beat", lambda: load[0], full=lambda: load[0] >= 3)
        await heartbeat.start()
        try:
            self.assertEqual(
                [(w["worker_id"], w["load"], w["full"]) for w in await placement.live_workers()],
                [("reg-beat", 2, False)],
            )
            self.assertEqual(await placement.choose_worker(), "reg-beat")
            load[0] = 3
            deadline = time.monotonic() + 5
            while not (await placement.live_workers())[0]["full"]:
                self.assertLess(time.monotonic(), deadline, "the heartbeat never said full")
                await asyncio.sleep(0.02)
            self.assertIsNone(await placement.choose_worker())
        finally:
            await heartbeat.stop()
        self.assertFalse(await placement.is_alive("reg-beat"))

    async def test_heartbeat_announces_streams_and_capacity(self) -> None:
        streams = [299]
        heartbeat = Heartbeat("reg-streams", lambda: 4, streams=lambda: streams[0], capacity=300)
        await heartbeat.start()
        try:
            (w,) = await placement.live_workers()
            self.assertEqual((w["streams"], w["capacity"], w["full"]), (299, 300, False))
            self.assertEqual(await placement.choose_worker(), "reg-streams")
            streams[0] = 300
            deadline = time.monotonic() + 5
            while (await placement.live_workers())[0]["streams"] != 300:
                self.assertLess(time.monotonic(), deadline, "the heartbeat never said 300 streams")
                await asyncio.sleep(0.02)
            self.assertIsNone(await placement.choose_worker())
        finally:
            await heartbeat.stop()

    async def test_heartbeat_is_not_full_by_default(self) -> None:
        heartbeat = Heartbeat("reg-default", lambda: 0)
        self.assertFalse(heartbeat.beat()["full"])
        await write_heartbeat(placement.redis_client(), heartbeat.beat())
        self.assertEqual(await placement.choose_worker(), "reg-default")
        await delete_heartbeat(placement.redis_client(), "reg-default")
        self.assertFalse(await placement.is_alive("reg-default"))
