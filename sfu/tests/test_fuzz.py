"""Fuzzing RTP, RTCP and SDP into a live worker: nothing escapes, nothing dies, state stays bounded.

The worker and the peers run on an event loop in a thread of their own for the whole class;
hypothesis drives examples from the test thread into it.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from typing import Any

from django.test import SimpleTestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conference.testing.hostile import HOSTILE_MEETING, Harness, probe, quiet_meeting, send_raw
from conference.testing.peers import wait_for
from sfu.aiortc_hooks_guard import receiver_state_size
from sfu.limits import Limits

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)

rtp_packets = st.one_of(
    st.builds(
        lambda b0, b1, seq, ts, ssrc, body: struct.pack("!BBHII", b0, b1, seq, ts, ssrc) + body,
        st.integers(0x80, 0xBF),
        st.integers(0, 255).filter(lambda b: not 192 <= b <= 223),
        st.integers(0, 0xFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=1200),
    ),
    st.binary(min_size=12, max_size=1300).map(lambda b: bytes([0x80 | (b[0] & 0x3F), b[1] & 0x7F]) + b[2:]),
)
rtcp_packets = st.builds(
    lambda b0, pt, body: bytes([b0, pt]) + struct.pack("!H", len(body) // 4) + body,
    st.integers(0x80, 0xBF),
    st.integers(192, 223),
    st.binary(max_size=1300),
)


def mutate(lines: list[str], edits: list[tuple[int, int, str]]) -> str:
    out = list(lines)
    for op, pos, text in edits:
        if not out:
            break
        i = pos % len(out)
        if op == 0:
            del out[i]
        elif op == 1:
            out.insert(i, out[i])
        elif op == 2:
            out[i] = text
        else:
            out[i] = out[i][: len(out[i]) // 2] + text
    return "\r\n".join(out) + "\r\n"


sdp_edits = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.text(max_size=40)), max_size=8)


class FuzzTests(SimpleTestCase):
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.loop = asyncio.new_event_loop()
        cls.errors: list[dict[str, Any]] = []
        cls.loop.set_exception_handler(lambda _loop, context: cls.errors.append(context))
        cls.thread = threading.Thread(target=cls.loop.run_forever, name="sfu-fuzz-loop", daemon=True)
        cls.thread.start()
        cls.run_in_loop(cls._start(), 60)

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            cls.run_in_loop(cls.h.close(), 30)
        finally:
            cls.loop.call_soon_threadsafe(cls.loop.stop)
            cls.thread.join(10)
            cls.loop.close()
            super().tearDownClass()

    @classmethod
    def run_in_loop(cls, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, cls.loop).result(timeout)

    @classmethod
    async def _start(cls) -> None:
        cls.h = Harness(Limits(allow_private_candidates=True, offers_per_second=1000, offer_burst=1000))
        cls.quiet = await quiet_meeting(cls.h)
        cls.bad = await cls.h.join(1, HOSTILE_MEETING)
        cls.watcher = await cls.h.join(2, HOSTILE_MEETING, publish=False)
        await wait_for(lambda: cls.watcher.frames[(1, "video")] >= 1, 15, "video in the hostile meeting")
        cls.offer_lines = cls.bad.publish_pc.localDescription.sdp.splitlines()
        cls.answer_lines = cls.watcher.subscribe_pc.localDescription.sdp.splitlines()

    def assert_healthy(self) -> None:
        h = self.h
        self.assertEqual(self.errors, [], "an exception escaped into the event loop")
        for meeting in h.worker.meetings.values():
            self.assertFalse(meeting.task.done(), f"meeting {meeting.id}'s task died")
        internal = [m for _, m in h.sent if m["type"] == "sfu.error" and m["code"] == "internal"]
        self.assertEqual(internal, [], "a command failed with an unexpected exception")
        p = h.worker.participants[1]
        if p.publish_pc is not None:
            self.assertLessEqual(p.guard.ssrc_count(), h.worker.limits.max_ssrcs_per_connection)
            self.assertLessEqual(receiver_state_size(p.publish_pc), 4 * 8 + 8)
        probed = self.run_in_loop(probe(h.worker, 102, 0.5), 10)
        self.assertLess(probed.p95, 0.3)
        before = self.quiet[1].frames[(101, "audio")]
        self.run_in_loop(asyncio.sleep(0.5))
        self.assertGreater(self.quiet[1].frames[(101, "audio")], before, "the quiet meeting's media stopped")

    def test_rtp(self) -> None:
        self.fuzz_rtp()
        self.assert_healthy()

    def test_rtcp(self) -> None:
        self.fuzz_rtcp()
        self.assert_healthy()

    def test_sdp(self) -> None:
        self.fuzz_sdp()
        self.assert_healthy()

    @FUZZ
    @given(rtp_packets)
    def fuzz_rtp(self, data: bytes) -> None:
        self.run_in_loop(send_raw(self.bad.publish_pc, data))

    @FUZZ
    @given(rtcp_packets, st.booleans())
    def fuzz_rtcp(self, data: bytes, from_subscriber: bool) -> None:
        pc = self.watcher.subscribe_pc if from_subscriber else self.bad.publish_pc
        self.run_in_loop(send_raw(pc, data))

    @settings(FUZZ, max_examples=60)
    @given(sdp_edits, st.booleans())
    def fuzz_sdp(self, edits: list[tuple[int, int, str]], answer: bool) -> None:
        if answer:
            message = {
                "type": "sfu.subscribe_answer",
                "participant": 2,
                "sdp": mutate(self.answer_lines, edits),
            }
        else:
            message = {"type": "sfu.publish_offer", "participant": 1, "sdp": mutate(self.offer_lines, edits)}
        self.run_in_loop(self.h.worker.call(message), 30)
