"""The SFU rewrites its host candidates to the announced public address."""

from __future__ import annotations

from django.test import SimpleTestCase

from sfu.worker import SfuWorker


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
