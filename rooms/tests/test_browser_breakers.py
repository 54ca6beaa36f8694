"""The room page's side of the SFU breaker (rooms.media_breaker): told that media is held back
with a ``retry_after``, it says the breaker's words and asks again then on the same socket
(``media-restart-request``, not one of the three plain reconnects), and media comes back for the
same participant.

The breaker itself is opened by real faults in rooms/tests/test_breakers.py. Here Daphne and
runsfu share one Redis for heartbeats and the channel layer, so the heartbeat path cannot fail
alone: the SFU worker really stops (the meeting has no media), the breaker's frame is replayed
into the page (window.__meet.receive), and a new worker starts before the page asks again."""

from __future__ import annotations

import time

from conference.testing.browser import BrowserTestCase
from rooms.media_breaker import BREAKER_OPEN

CONNECTED = "() => window.__meet.publishPc && window.__meet.publishPc.connectionState === 'connected'"
RETRY_AFTER = 12.0  # longer than the plain path's 10 s reconnect, which would make a new participant


class MediaBreakerPageTestCase(BrowserTestCase):
    def test_the_page_asks_again_when_the_breaker_probes_and_media_comes_back(self) -> None:
        alice = self.signed_in(self.alice)
        self.enter(alice)
        page = alice.page
        page.wait_for_function(CONNECTED, timeout=20_000)
        me = page.evaluate("() => window.__meet.self.id")

        assert self.sfu is not None
        self.sfu.stop()  # the meeting's worker goes: chat only
        page.wait_for_function("() => window.__meet.state === 'media-unavailable'", timeout=20_000)
        page.evaluate(
            "(m) => window.__meet.receive(m)",
            {"type": "media-unavailable", "message": BREAKER_OPEN, "retry_after": RETRY_AFTER},
        )
        asked = time.monotonic()
        status = page.locator("#alert").inner_text()  # role=alert: read out at once
        self.assertIn(BREAKER_OPEN, status)
        self.assertNotIn("Trying again in 10 s", status)
        sfu = self.start_worker("sfu-2", ["runsfu"], {"SFU_HOST_ADDRESSES": "127.0.0.1"}, ready=r"\bready\b")
        sfu.wait_ready(self.sfu_ready_timeout)

        page.wait_for_function(
            f"() => window.__meet.state !== 'media-unavailable' && ({CONNECTED})()", timeout=40_000
        )
        waited = time.monotonic() - asked
        self.assertGreater(waited, RETRY_AFTER - 0.5, self.timeline(alice))  # when the breaker probes
        self.assertEqual(page.evaluate("() => window.__meet.self.id"), me, self.timeline(alice))
