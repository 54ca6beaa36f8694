from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from channels.layers import channel_layers
from django.conf import settings
from django.test import SimpleTestCase

from conference.protocol import TRANSCRIBE_CHANNEL, room_group
from conference.testing.audio import PACKET, RTP_PER_PACKET, opus_packets, read_wav, silence
from conference.testing.processes import WorkerProcess
from transcripts.engine import get_engine
from transcripts.live import AudioTap
from transcripts.models import Segment, Transcript
from transcripts.tests.helpers import FIXTURES, MeetingTransactionTestCase, reference, wer
from transcripts.worker import Transcriber

WAIT = 60.0  # bound on every wait for the worker (2 shared cores)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


class WorkerTestCase(MeetingTransactionTestCase):
    """The worker loop in-process, against the real Redis channel layer and PostgreSQL/SQLite."""

    def setUp(self) -> None:
        super().setUp()
        self.engine = get_engine()

    async def run_scenario(self, scenario: Callable[[Any, str], Awaitable[None]]) -> Transcriber:
        layer = channel_layers.make_backend("default")
        await layer.flush()
        listener = await layer.new_channel()
        await layer.group_add(room_group(self.room.pk), listener)
        stop = asyncio.Event()
        transcriber = Transcriber(self.engine, layer)
        worker = asyncio.create_task(transcriber.run(stop))
        try:
            await scenario(layer, listener)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)
            await layer.flush()
            await layer.close_pools()
        return transcriber

    def tap(self, layer: Any, participant: Any, started: float) -> AudioTap:
        return AudioTap(
            meeting=self.meeting.pk,
            room=self.room.pk,
            participant=participant.pk,
            speaker=participant.display_name,
            meeting_started_at=started,
            send=layer.send,
        )

    async def captions(self, layer: Any, listener: str, finals: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while sum(1 for m in got if m["final"]) < finals:
            got.append(await asyncio.wait_for(layer.receive(listener), WAIT))
        return got

    async def test_caption_reaches_room_and_final_is_stored(self) -> None:
        speech = read_wav(FIXTURES / "speech1.wav")
        packets = opus_packets(np.concatenate([silence(0.5), speech, silence(1.0)]))

        async def scenario(layer: Any, listener: str) -> None:
            started = time.time() - 10.0
            tap = self.tap(layer, self.p_bob, started)
            for i, p in enumerate(packets):
                tap.feed(p, i * RTP_PER_PACKET, started + 10.0 + i * PACKET)
                if i % 50 == 0:
                    await asyncio.sleep(0.01)
            self.assertEqual(await tap.close(), 1)
            got = await self.captions(layer, listener, finals=1)
            final = got[-1]
            self.assertEqual(final["type"], "room.caption")
            self.assertEqual((final["participant"], final["speaker"]), (self.p_bob.pk, "Bob"))
            self.assertLessEqual(wer(reference("speech1"), final["text"]), 0.2, final)
            self.assertAlmostEqual(final["start"], 10.3, delta=0.3)
            for m in got[:-1]:
                self.assertFalse(m["final"])
                self.assertEqual(m["utterance"], final["utterance"])
            await layer.send(
                TRANSCRIBE_CHANNEL, {"type": "transcribe.flush", "meeting": self.meeting.pk, "finals": 1}
            )

            async def stored() -> bool:
                return await Segment.objects.filter(transcript__meeting=self.meeting).aexists()

            await until(stored)

        stats = await self.run_scenario(scenario)
        seg = await Segment.objects.aget(transcript__meeting=self.meeting)
        self.assertEqual((seg.participant_id, seg.speaker), (self.p_bob.pk, "Bob"))
        self.assertLessEqual(wer(reference("speech1"), seg.text), 0.2)
        self.assertEqual(stats.stats["final"], 1)

    async def test_stale_interims_are_skipped_and_bad_messages_survived(self) -> None:
        pcm = read_wav(FIXTURES / "speech2.wav").tobytes()
        base = {
            "type": "transcribe.request",
            "meeting": self.meeting.pk,
            "room": self.room.pk,
            "participant": self.p_alice.pk,
            "speaker": "Alice",
            "start": 1.0,
            "end": 4.0,
            "pcm": pcm,
        }

        async def scenario(layer: Any, listener: str) -> None:
            await layer.send(
                TRANSCRIBE_CHANNEL, {**base, "utterance": "old", "final": False, "sent_at": time.time() - 10}
            )
            await layer.send(TRANSCRIBE_CHANNEL, {"type": "transcribe.request", "meeting": "x"})
            await layer.send(TRANSCRIBE_CHANNEL, {"type": "something.else"})
            await layer.send(
                TRANSCRIBE_CHANNEL,
                {**base, "utterance": "odd", "final": True, "sent_at": time.time(), "pcm": b"\x01"},
            )
            await layer.send(
                TRANSCRIBE_CHANNEL, {**base, "utterance": "u2", "final": True, "sent_at": time.time()}
            )
            got = await self.captions(layer, listener, finals=2)
            self.assertEqual([m["utterance"] for m in got], ["odd", "u2"])  # the stale interim never shows
            self.assertEqual(got[0]["text"], "")
            self.assertLessEqual(wer(reference("speech2"), got[1]["text"]), 0.2, got[1])
            # An interim that arrives after its utterance's final would only replace the final.
            await layer.send(
                TRANSCRIBE_CHANNEL, {**base, "utterance": "u2", "final": False, "sent_at": time.time()}
            )
            await layer.send(
                TRANSCRIBE_CHANNEL, {**base, "utterance": "u3", "final": False, "sent_at": time.time()}
            )
            late = await asyncio.wait_for(layer.receive(listener), WAIT)
            self.assertEqual((late["utterance"], late["final"]), ("u3", False))

            async def counted() -> bool:
                t = await Transcript.objects.filter(meeting=self.meeting).afirst()
                return t is not None and t.finals_done == 2

            await until(counted)

        transcriber = await self.run_scenario(scenario)
        self.assertEqual(transcriber.stats["stale"], 2)
        self.assertEqual(transcriber.stats["bad"], 2)
        self.assertEqual(await Segment.objects.filter(transcript__meeting=self.meeting).acount(), 1)

    async def test_two_speakers_are_attributed(self) -> None:
        """The two-track conversation through one tap per speaker, the worker, and the database."""
        turns = json.loads((FIXTURES / "conversation.json").read_text())
        tracks = {
            "alice": opus_packets(read_wav(FIXTURES / "conversation_alice.wav")),
            "bob": opus_packets(read_wav(FIXTURES / "conversation_bob.wav")),
        }
        people = {"alice": self.p_alice, "bob": self.p_bob}
        joined = 2.0  # both joined 2 s into the meeting

        async def scenario(layer: Any, listener: str) -> None:
            started = time.time() - 30.0
            taps = {who: self.tap(layer, people[who], started) for who in tracks}
            n = len(tracks["alice"])
            self.assertEqual(n, len(tracks["bob"]))
            for i in range(n):  # interleaved, as the SFU loop sees them
                for who, tap in taps.items():
                    tap.feed(tracks[who][i], 5000 + i * RTP_PER_PACKET, started + joined + i * PACKET)
                if i % 50 == 0:
                    await asyncio.sleep(0.01)
            finals = 0
            for tap in taps.values():
                finals += await tap.close()
            self.assertEqual(finals, len(turns))
            await layer.send(
                TRANSCRIBE_CHANNEL, {"type": "transcribe.flush", "meeting": self.meeting.pk, "finals": finals}
            )

            async def complete() -> bool:
                t = await Transcript.objects.filter(meeting=self.meeting).afirst()
                return t is not None and t.finals_done == finals

            await until(complete)

        await self.run_scenario(scenario)
        segments = [
            s async for s in Segment.objects.filter(transcript__meeting=self.meeting).order_by("start")
        ]
        self.assertEqual(len(segments), len(turns))
        for seg, turn in zip(segments, turns, strict=True):
            with self.subTest(turn=turn["text"]):
                self.assertEqual(seg.participant_id, people[turn["speaker"]].pk)
                self.assertEqual(seg.speaker, people[turn["speaker"]].display_name)
                self.assertAlmostEqual(seg.start, joined + turn["start"] - 0.2, delta=0.25)
                self.assertAlmostEqual(seg.end, joined + turn["end"], delta=0.5)
                self.assertLessEqual(wer(turn["text"], seg.text), 0.35, seg.text)
        for who in ("alice", "bob"):
            said = " ".join(s.text for s in segments if s.participant_id == people[who].pk)
            self.assertLessEqual(wer(reference(f"conversation_{who}"), said), 0.2, said)


class RunTranscriberCommandTestCase(SimpleTestCase):
    def test_starts_and_stops_on_sigterm(self) -> None:
        # A private prefix: the worker must not pick up other tests' requests.
        worker = WorkerProcess.manage(
            "runtranscriber",
            "runtranscriber",
            env={"REDIS_PREFIX": f"{settings.REDIS_PREFIX}-cmd-{os.getpid()}"},
            ready="Transcriber ready",
            ready_timeout=WAIT,
        )
        with worker:
            worker.terminate()
            self.assertEqual(worker.wait(WAIT), 0, worker.output())
        self.assertIn("Transcriber stopped", worker.output())
