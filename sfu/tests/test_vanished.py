"""A browser that vanished (no socket close, no leave) is dropped when its ICE consent expires."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import aioice.ice
from aiortc import RTCPeerConnection
from django.test import SimpleTestCase

from conference.testing.peers import SfuHarness as Harness
from conference.testing.peers import wait_for
from sfu.worker import CONNECTION_LOST_GRACE

WORKER = "sfu-test"


@contextlib.contextmanager
def fast_consent(interval: float = 0.2) -> Iterator[None]:
    """RFC 7675 consent checks every ``interval`` s instead of 5 s (expiry after 6 misses), so the
    test waits ~2 s instead of ~30 s. Test-only: the SFU keeps aioice's default."""
    original = aioice.ice.CONSENT_INTERVAL
    aioice.ice.CONSENT_INTERVAL = interval
    try:
        yield
    finally:
        aioice.ice.CONSENT_INTERVAL = original


def vanish(pc: RTCPeerConnection) -> None:
    """The peer's machine drops off the network: its sockets neither send nor deliver anything
    (no DTLS close, no ICE teardown, no signaling)."""
    for transceiver in pc.getTransceivers():
        ice = transceiver.sender.transport.transport
        for protocol in ice.iceGatherer._connection._protocols:
            protocol.datagram_received = lambda *args: None
            protocol.transport.sendto = lambda *args: None


def closed_replies(h: Harness, participant: int) -> list[dict[str, Any]]:
    return [m for c, m in h.sent if c == f"reply.{participant}" and m["type"] == "sfu.closed"]


class VanishedBrowserTests(SimpleTestCase):
    async def test_silent_peer_is_dropped_and_its_consumer_told(self) -> None:
        with fast_consent():
            h = Harness(worker_id=WORKER)
            try:
                staying = await h.join(1)
                gone = await h.join(2)
                await wait_for(lambda: staying.frames[(2, "video")] >= 5, 20, "video of the one who vanishes")
                await wait_for(lambda: gone.frames[(1, "video")] >= 5, 20, "video of the one who stays")
                vanish(gone.publish_pc)
                vanish(gone.subscribe_pc)

                await wait_for(lambda: bool(closed_replies(h, 2)), 20, "sfu.closed for the vanished peer")
                self.assertEqual(
                    closed_replies(h, 2),
                    [{"type": "sfu.closed", "participant": 2, "reason": "connection-lost", "worker": WORKER}],
                )
                await wait_for(lambda: 2 not in h.worker.participants, 5, "the vanished peer removed")
                # The one who stays is not affected: still in, still sent media, renegotiated.
                self.assertEqual(closed_replies(h, 1), [])
                self.assertIn(1, h.worker.participants)
                self.assertEqual(h.worker.subscriber_streams(1)[0].publisher, None)
            finally:
                await h.close()

    async def test_page_restarting_its_media_is_not_a_vanished_browser(self) -> None:
        """A media restart: the page closes its peer connections itself (a DTLS close reaches
        the SFU, perhaps before the consumer's new sfu.join) and joins again on the same socket."""
        with fast_consent():
            h = Harness(worker_id=WORKER)
            try:
                peer = await h.join(1)
                await wait_for(
                    lambda: peer.publish_pc.connectionState == "connected", 15, "publish connected"
                )
                old = h.worker.participants[1]
                await peer.publish_pc.close()
                await peer.subscribe_pc.close()
                await wait_for(lambda: old.publish_pc.connectionState == "closed", 10, "SFU side closed")
                await asyncio.sleep(0.5)
                del h.peers[1]
                again = await h.join(1)  # the consumer's sfu.join for the restart
                await asyncio.sleep(CONNECTION_LOST_GRACE + 1)
                self.assertEqual(closed_replies(h, 1), [])
                self.assertIsNot(h.worker.participants[1], old)
                await wait_for(lambda: again.publish_pc.connectionState == "connected", 15, "new connection")
                await peer.close()
            finally:
                await h.close()

    async def test_page_closing_its_connections_for_good_is_dropped(self) -> None:
        h = Harness(worker_id=WORKER)
        try:
            peer = await h.join(1)
            await wait_for(lambda: peer.publish_pc.connectionState == "connected", 15, "publish connected")
            await peer.publish_pc.close()
            await peer.subscribe_pc.close()
            await wait_for(lambda: bool(closed_replies(h, 1)), 10, "sfu.closed after the grace period")
            self.assertEqual(closed_replies(h, 1)[0]["reason"], "connection-lost")
            self.assertNotIn(1, h.worker.participants)
        finally:
            await h.close()
