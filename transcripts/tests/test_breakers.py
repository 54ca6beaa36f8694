"""The SFU's captions breaker (transcripts.captions_breaker) with a real fault: the only
`runtranscriber` process stops, and later a new one starts. The tap is the SFU's
(SFU_AUDIO_TAP_FACTORY) fed real Opus packets on this loop, as the SFU worker's loop feeds it;
requests, captions and the breaker's notices go through the real Redis channel layer, and the
test listens to the room group like a room consumer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from channels.layers import channel_layers
from django.test import override_settings
from django.utils.module_loading import import_string

from conference import protocol
from conference.breakers import async_breaker
from conference.testing.audio import RTP_PER_PACKET, opus_packets, read_wav, silence
from conference.testing.processes import WorkerProcess, worker_environment
from sfu.taps import AudioTapContext
from transcripts import heartbeat
from transcripts.tests.helpers import FIXTURES, MeetingTransactionTestCase

BEAT = 0.3
WAIT = 60.0  # a caption needs Whisper on 2 shared cores


@override_settings(
    BREAKER_CAPTIONS_FAILURES=2,
    BREAKER_CAPTIONS_RESET_SECONDS=2.0,
    TRANSCRIBER_HEARTBEAT_SECONDS=BEAT,
    TRANSCRIBER_TTL_SECONDS=1.0,
)
class CaptionsBreakerTestCase(MeetingTransactionTestCase):
    def start_transcriber(self) -> WorkerProcess:
        env = {
            **worker_environment(),
            "TRANSCRIBER_HEARTBEAT_SECONDS": str(BEAT),
            "TRANSCRIBER_TTL_SECONDS": "1",
        }
        worker = WorkerProcess.manage("transcriber", "runtranscriber", env=env, ready="Transcriber ready")
        self.addCleanup(worker.stop)
        worker.start().wait_ready()
        return worker

    async def speak(self, tap: Any, first_packet: int) -> int:
        """One utterance (speech, then silence that ends it); the next packet number."""
        packets = opus_packets(np.concatenate([self.speech, silence(1.0)]))
        started = time.time()
        for i, payload in enumerate(packets):
            n = first_packet + i
            tap.feed(payload, (1000 + n * RTP_PER_PACKET) & 0xFFFFFFFF, started + i * 0.02)
            if i % 10 == 0:
                await asyncio.sleep(0)
        return first_packet + len(packets)

    async def next_event(self, layer: Any, listener: str, kind: str, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            event = await asyncio.wait_for(layer.receive(listener), deadline - time.monotonic())
            if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                return event
        raise AssertionError(f"no {kind} {match}")

    async def test_transcriber_stopped_captions_unavailable_then_back(self) -> None:
        self.speech = read_wav(FIXTURES / "speech1.wav")
        worker = await asyncio.to_thread(self.start_transcriber)
        layer = channel_layers.make_backend("default")
        listener = await layer.new_channel()
        await layer.group_add(protocol.room_group(self.room.pk), listener)
        ctx = AudioTapContext(
            meeting=self.meeting.pk,
            room=self.room.pk,
            participant=self.p_alice.pk,
            speaker="Alice",
            meeting_started_at=time.time() - 5,
            send=layer.send,
        )
        tap = import_string("transcripts.captions_breaker.make_audio_tap")(ctx)  # the SFU's factory
        try:
            packet = await self.speak(tap, 0)
            await self.next_event(layer, listener, "room.caption", final=True)
            self.assertEqual(tap.finals_sent, 1)

            await asyncio.to_thread(worker.stop)  # SIGTERM: its heartbeat goes with it
            self.assertFalse(await heartbeat.any_alive())
            notice = await self.next_event(layer, listener, "room.captions_status")
            self.assertEqual(
                (notice["available"], notice["message"]), (False, "Captions are unavailable right now.")
            )
            self.assertTrue(async_breaker("captions").is_open)
            # Meanwhile speech is dropped at the tap, not queued for a transcriber that may never come.
            packet = await self.speak(tap, packet)
            await asyncio.sleep(0.5)
            self.assertEqual((tap.finals_sent, tap.finals_dropped), (1, 1))

            await asyncio.to_thread(self.start_transcriber)
            notice = await self.next_event(layer, listener, "room.captions_status")
            self.assertEqual((notice["available"], notice["message"]), (True, "Captions are back."))
            self.assertFalse(async_breaker("captions").is_open)
            await self.speak(tap, packet)
            await self.next_event(layer, listener, "room.caption", final=True)
            self.assertEqual(tap.finals_sent, 2)
        finally:
            await tap.close()
            await layer.flush()
            await layer.close_pools()
