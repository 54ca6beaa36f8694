"""Heartbeats and placement on the real Redis (settings.REDIS_URL, under REDIS_PREFIX)."""

from __future__ import annotations

import asyncio
import time

from django.test import SimpleTestCase, override_settings

from sfu import registry
from sfu.worker import SfuWorker


class RegistryTests(SimpleTestCase):
    async def asyncTearDown(self) -> None:
        client = registry.async_client()
        for worker_id in ("reg-busy", "reg-idle", "reg-short"):
            await registry.delete_heartbeat(client, worker_id)
        await client.aclose()

    async def test_least_loaded_live_worker_is_picked(self) -> None:
        client = registry.async_client()
        try:
            now = time.time()
            await registry.write_heartbeat(client, {"worker_id": "reg-busy", "load": 9, "started_at": now})
            await registry.write_heartbeat(client, {"worker_id": "reg-idle", "load": 1, "started_at": now})
            await client.set(registry.heartbeat_key("reg-garbage"), b"not json", px=2000)
        finally:
            await client.aclose()
        ids = {w["worker_id"] for w in await registry.live_workers()}
        self.assertTrue({"reg-busy", "reg-idle"} <= ids)
        self.assertNotIn("reg-garbage", ids)
        picked = await registry.pick_worker()
        self.assertIsNotNone(picked)
        live = {w["worker_id"]: w["load"] for w in await registry.live_workers()}
        self.assertEqual(live[picked], min(live.values()))  # type: ignore[index]
        self.assertTrue(await registry.is_alive("reg-idle"))
        self.assertTrue(await asyncio.to_thread(registry.is_alive_sync, "reg-idle"))
        self.assertEqual(await asyncio.to_thread(registry.pick_worker_sync), picked)

    @override_settings(SFU_WORKER_TTL_SECONDS=0.3)
    async def test_heartbeat_expires(self) -> None:
        client = registry.async_client()
        try:
            await registry.write_heartbeat(client, {"worker_id": "reg-short", "load": 0, "started_at": 0.0})
        finally:
            await client.aclose()
        self.assertTrue(await registry.is_alive("reg-short"))
        await asyncio.sleep(0.5)
        self.assertFalse(await registry.is_alive("reg-short"))


class AnnouncedIpTests(SimpleTestCase):
    async def test_host_candidates_announce_the_public_ip(self) -> None:
        async def send(channel: str, message: dict) -> None:
            pass

        worker = SfuWorker(send, announced_ip="203.0.113.5")
        sdp = (
            "v=0\r\nc=IN IP4 10.0.0.2\r\n"
            "a=candidate:1 1 udp 2130706431 10.0.0.2 50000 typ host\r\n"
            "a=candidate:2 1 udp 1694498815 198.51.100.1 50001 typ srflx raddr 10.0.0.2 rport 50000\r\n"
        )
        out = worker._announce(sdp)
        self.assertIn("a=candidate:1 1 udp 2130706431 203.0.113.5 50000 typ host", out)
        self.assertIn("198.51.100.1 50001 typ srflx", out)
        self.assertIn("c=IN IP4 203.0.113.5", out)
