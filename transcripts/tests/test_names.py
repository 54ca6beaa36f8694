"""Names known to the decoder: the meeting's display names (and room name, recent words) are its
prompt, and names come out spelled as the roster spells them."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from channels.layers import channel_layers
from django.test import SimpleTestCase

from conference.protocol import TRANSCRIBE_CHANNEL, room_group
from conference.testing.audio import PACKET, RTP_PER_PACKET, low_noise, opus_packets, read_wav, silence
from transcripts.engine import get_engine, join_text
from transcripts.evaluation import make_short_set
from transcripts.live import AudioTap
from transcripts.models import Segment
from transcripts.prompt import RecentCaptions, clean_names, decoder_prompt, respell
from transcripts.roster import roster
from transcripts.tests.helpers import MeetingTransactionTestCase
from transcripts.worker import Transcriber

NAME = "Siobhán Nakamura-Oduya"
SAID = "Hello everyone, I am Siobhan Nakamura Oduya."  # espeak-ng reads it the English way
WAIT = 60.0


def name_clip(folder: Path) -> np.ndarray:
    return read_wav(make_short_set(folder, phrases=(SAID,), speeds=(160,), levels=(-1,))[0].wav)


class RespellTestCase(SimpleTestCase):
    def test_plain_spellings_get_the_rosters(self) -> None:
        names = [NAME, "Bob"]
        for said in (
            "I am Siobhan Nakamura Oduya.",
            "I am siobhan nakamura-oduya.",
            "I am Siobhán Nakamuraoduya.",
            "I am SIOBHAN NAKAMURA ODUYA.",
        ):
            with self.subTest(said):
                self.assertEqual(respell(said, names), f"I am {NAME}.")
        self.assertEqual(respell("Thanks, Siobhan.", names), "Thanks, Siobhán.")
        self.assertEqual(respell("Ask Nakamura Oduya.", names), "Ask Nakamura-Oduya.")

    def test_ordinary_words_stay_words(self) -> None:
        names = ["Will Berry", "May", "Bob"]
        self.assertEqual(respell("Rachel will start in may.", names), "Rachel will start in may.")
        self.assertEqual(respell("WILL said so, bob.", names), "Will said so, bob.")
        self.assertEqual(respell("Bobby and Mayfield", names), "Bobby and Mayfield")

    def test_prompt_holds_names_room_and_recent_words(self) -> None:
        recent = RecentCaptions()
        recent.add(3, "the budget is " + "very " * 60 + "tight")
        prompt = decoder_prompt([NAME, "Bob"], "Design review", recent.text(3))
        self.assertTrue(prompt.startswith(f"{NAME}, Bob. Design review. "), prompt)
        self.assertTrue(prompt.endswith("very tight"))
        self.assertLessEqual(len(prompt.split()), 4 + 2 + 40)
        self.assertEqual(recent.text(4), "")
        self.assertEqual(decoder_prompt([], ""), "")
        crowd = [f"Person Number{i}" for i in range(30)]
        long = decoder_prompt(crowd, "Design review", recent.text(3))
        self.assertLessEqual(len(long.split()), 60)
        self.assertTrue(long.startswith("Person Number0, Person Number1,"))  # names before words

    def test_names_from_a_message_are_checked(self) -> None:
        self.assertEqual(clean_names([" Ann  Lee ", "", 7, "Ann Lee", "Bob"]), ["Ann Lee", "Bob"])
        self.assertEqual(clean_names("Ann"), [])
        self.assertEqual(clean_names(None), [])


class DecoderPromptTestCase(SimpleTestCase):
    tmp: Path

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix="names-"))
        cls.clip = name_clip(cls.tmp).astype(np.float32) / 32768

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def test_the_name_is_spelled_as_the_roster_spells_it(self) -> None:
        engine = get_engine()
        plain = join_text(engine.transcribe_live(self.clip, final=True))
        self.assertNotIn("Nakamura", plain)  # without the roster tiny.en cannot spell it
        prompt = decoder_prompt([NAME, "Bob"], "Weekly sync")
        for final in (True, False):
            with self.subTest(final=final):
                text = respell(
                    join_text(engine.transcribe_live(self.clip, final=final, prompt=prompt)), [NAME]
                )
                self.assertIn(NAME, text)

    def test_a_prompt_does_not_make_silence_speak(self) -> None:
        engine = get_engine()
        prompt = decoder_prompt([NAME, "Bob"], "Weekly sync", "we agreed to ship on Friday")
        for name, audio in (("silence", silence(5.0)), ("noise", low_noise(5.0, -45.0))):
            for final in (True, False):
                with self.subTest(name, final=final):
                    samples = audio.astype(np.float32) / 32768
                    self.assertEqual(engine.transcribe_live(samples, final=final, prompt=prompt), [])


class RosterTestCase(SimpleTestCase):
    async def test_requests_carry_the_meetings_names_speaker_first(self) -> None:
        sent: list[dict[str, Any]] = []

        async def send(_channel: str, message: dict[str, Any]) -> None:
            sent.append(message)

        def tap(participant: int, speaker: str, meeting: int = 40) -> AudioTap:
            return AudioTap(
                meeting=meeting,
                room=4,
                participant=participant,
                speaker=speaker,
                meeting_started_at=0.0,
                send=send,
            )

        ann, other_meeting = tap(1, "Ann Lee"), tap(9, "Zed", meeting=41)
        bob = tap(2, NAME)
        self.assertEqual(roster(40, 2), [NAME, "Ann Lee"])
        self.assertEqual(roster(41, 9), ["Zed"])
        bob.feed_pcm(low_noise(1.0, -20.0), 0.0)  # loud enough to open an utterance
        bob.feed_pcm(silence(1.0), 1.0)
        await asyncio.sleep(0.05)
        self.assertTrue(sent)
        self.assertEqual(sent[-1]["names"], [NAME, "Ann Lee"])
        carl = tap(3, "Carl")  # joins later: in the next requests
        self.assertEqual(roster(40, 1), ["Ann Lee", NAME, "Carl"])
        await ann.close()
        self.assertEqual(roster(40, 2), [NAME, "Carl"])
        for t in (bob, carl, other_meeting):
            await t.close()
        self.assertEqual((roster(40), roster(41)), ([], []))


class WorkerNamesTestCase(MeetingTransactionTestCase):
    """The whole live way: Opus -> tap -> Redis -> worker -> caption and stored segment."""

    async def test_caption_and_segment_spell_the_name_as_the_roster(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            speech = name_clip(Path(tmp))
        packets = opus_packets(np.concatenate([silence(0.5), speech, silence(1.0)]))
        layer = channel_layers.make_backend("default")
        await layer.flush()
        listener = await layer.new_channel()
        await layer.group_add(room_group(self.room.pk), listener)
        stop = asyncio.Event()
        worker = asyncio.create_task(Transcriber(get_engine(), layer).run(stop))
        started = time.time() - 10.0
        common = {"meeting": self.meeting.pk, "room": self.room.pk, "meeting_started_at": started}
        listening = AudioTap(participant=self.p_alice.pk, speaker="Alice", send=layer.send, **common)
        speaking = AudioTap(participant=self.p_bob.pk, speaker=NAME, send=layer.send, **common)
        try:
            for i, p in enumerate(packets):
                speaking.feed(p, i * RTP_PER_PACKET, started + 10.0 + i * PACKET)
                if i % 50 == 0:
                    await asyncio.sleep(0.01)
            self.assertEqual(await speaking.close(), 1)
            await listening.close()
            final: dict[str, Any] = {}
            while not final.get("final"):
                final = await asyncio.wait_for(layer.receive(listener), WAIT)
            self.assertIn(NAME, final["text"])
            await layer.send(
                TRANSCRIBE_CHANNEL, {"type": "transcribe.flush", "meeting": self.meeting.pk, "finals": 1}
            )
            deadline = time.monotonic() + WAIT
            while not await Segment.objects.filter(transcript__meeting=self.meeting).aexists():
                self.assertLess(time.monotonic(), deadline, "no segment stored")
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)
            await layer.flush()
            await layer.close_pools()
        segment = await Segment.objects.aget(transcript__meeting=self.meeting)
        self.assertIn(NAME, segment.text)
