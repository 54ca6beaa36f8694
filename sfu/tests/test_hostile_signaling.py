"""Hostile signaling: ICE candidate floods, mDNS, private ranges, oversized SDP, renegotiation storms."""

from __future__ import annotations

import asyncio
import time

from conference.testing.hostile import Harness, probe
from conference.testing.peers import wait_for
from sfu.limits import Limits
from sfu.tests.base import TwoMeetingsCase

SECONDS = 2.0


def remote_candidates(pc) -> list:  # type: ignore[no-untyped-def]
    transport = pc.getTransceivers()[0].receiver.transport.transport
    return transport._connection.remote_candidates


def ice(participant: int, host: str, port: int = 50000) -> dict:
    return {
        "type": "sfu.ice",
        "participant": participant,
        "pc": "publish",
        "candidate": {"candidate": f"candidate:1 1 udp 2130706431 {host} {port} typ host", "sdpMid": "0"},
    }


class IceTests(TwoMeetingsCase):
    async def test_mdns_candidates_are_dropped_without_waiting(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            pc = h.worker.participants[1].publish_pc
            count = len(remote_candidates(pc))

            async def flood() -> float:
                start = time.monotonic()
                for i in range(200):
                    await h.worker.call(ice(1, f"{i:08x}-aaaa-bbbb-cccc-dddddddddddd.local"))
                return time.monotonic() - start

            probed, took = await asyncio.gather(probe(h.worker, 102, SECONDS), flood())
            self.assertLess(took, 2.0)  # each one used to hold the worker for ~1 s
            self.assertLess(probed.p95, 0.3)
            self.assertEqual(len(remote_candidates(pc)), count)
            self.assertGreaterEqual(h.worker.stats["candidates_mdns"], 200)
            self.assertEqual(h.errors(1), [])  # dropped quietly: browsers send these all the time
        finally:
            await self.stop(h)

    async def test_at_most_the_configured_number_of_candidates(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            pc = h.worker.participants[1].publish_pc
            for i in range(200):
                await h.worker.call(ice(1, "127.0.0.1", 20000 + i))
            self.assertLessEqual(len(remote_candidates(pc)), h.worker.limits.max_remote_candidates + 2)
            self.assertGreater(h.worker.stats["candidates_dropped"], 150)
        finally:
            await self.stop(h)


class PrivateRangeTests(TwoMeetingsCase):
    async def test_private_loopback_and_link_local_candidates_are_refused_by_default(self) -> None:
        h = Harness(Limits(allow_private_candidates=False))
        try:
            await h.join(1, 1)
            await wait_for(lambda: h.peers[1].publish_answered.is_set(), 10, "the publish answer")
            pc = h.worker.participants[1].publish_pc
            for host in ("10.255.255.1", "192.168.1.20", "127.0.0.1", "169.254.3.4", "::1", "fe80::1"):
                await h.worker.call(ice(1, host, 53))
            self.assertEqual(remote_candidates(pc), [])  # the offer's own loopback ones went too
            refused = h.worker.stats["candidates_private"] + h.worker.stats["candidates_unusable"]  # ::1
            self.assertGreaterEqual(refused, 6)
            self.assertEqual(h.errors(1), [])
        finally:
            await h.close()


class SdpTests(TwoMeetingsCase):
    async def test_oversized_and_many_section_sdp_get_clear_errors(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            big = "v=0\r\n" + "a=x-junk:" + "x" * 70_000 + "\r\n"
            many = (
                "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" * 200
            )
            await h.worker.call({"type": "sfu.publish_offer", "participant": 1, "sdp": big})
            await h.worker.call({"type": "sfu.publish_offer", "participant": 1, "sdp": many})
            codes = [e["code"] for e in h.errors(1)]
            self.assertEqual(codes, ["sdp-too-large", "sdp-too-many-sections"])
            self.assertTrue(all("limit" in e["message"] for e in h.errors(1)))
            # the publisher's media is unaffected
            before = watcher.frames[(1, "video")]
            await wait_for(lambda: watcher.frames[(1, "video")] >= before + 5, 10, "video after the bad SDP")
        finally:
            await self.stop(h)

    async def test_a_renegotiation_storm_is_refused_and_the_other_meeting_goes_on(self) -> None:
        h, quiet, bad, watcher = await self.start()
        try:
            offer = bad.publish_pc.localDescription.sdp

            async def storm() -> None:
                for _ in range(60):
                    await h.worker.handle({"type": "sfu.publish_offer", "participant": 1, "sdp": offer})
                    await asyncio.sleep(0.01)

            probed, _ = await asyncio.gather(probe(h.worker, 102, SECONDS), storm())
            self.assertLess(probed.p95, 0.3)
            await wait_for(lambda: any(e["code"] == "too-fast" for e in h.errors(1)), 10, "too-fast errors")
            before = quiet[1].frames[(101, "video")]
            await wait_for(lambda: quiet[1].frames[(101, "video")] >= before + 5, 10, "quiet video")
        finally:
            await self.stop(h)
