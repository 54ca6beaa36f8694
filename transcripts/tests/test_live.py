from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from django.test import SimpleTestCase

from conference.protocol import TRANSCRIBE_CHANNEL
from conference.testing.audio import PACKET, RTP_PER_PACKET, low_noise, opus_packets, read_wav, silence
from transcripts.engine import get_engine, join_text, pcm16_to_float
from transcripts.live import MAX_UTTERANCE, MIN_SPLIT, PRE_ROLL, SPEECH_DBFS, AudioTap, make_audio_tap
from transcripts.tests.helpers import FIXTURES, reference, wer

T0 = 1_700_000_000.0  # meeting_started_at
JOINED = 5.0  # the participant's first packet arrives 5 s into the meeting


class Sent:
    """The tap's send callable, recording what it sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, channel: str, message: dict[str, Any]) -> None:
        self.messages.append((channel, message))

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [m for _c, m in self.messages]

    @property
    def finals(self) -> list[dict[str, Any]]:
        return [m for m in self.requests if m["final"]]

    @property
    def interims(self) -> list[dict[str, Any]]:
        return [m for m in self.requests if not m["final"]]


class Ctx:
    """Shaped like sfu.taps.AudioTapContext."""

    def __init__(self, send: Any, participant: int = 7, speaker: str = "Bob") -> None:
        self.meeting = 3
        self.room = 5
        self.participant = participant
        self.speaker = speaker
        self.meeting_started_at = T0
        self.send = send


def onset(samples: np.ndarray) -> float:
    """Seconds to the first 20 ms frame above the tap's speech threshold."""
    n = int(PACKET * 16000)
    for i in range(0, len(samples) - n, n):
        rms = np.sqrt(np.mean(np.square(samples[i : i + n].astype(np.float64)))) / 32768
        if rms > 0 and 20 * np.log10(rms) > SPEECH_DBFS:
            return i / 16000
    raise AssertionError("no speech")


async def feed(
    tap: AudioTap, packets: list[bytes], *, first: int = 0, rtp0: int = 1234, at: float = JOINED
) -> None:
    for i, p in enumerate(packets, first):
        tap.feed(p, (rtp0 + i * RTP_PER_PACKET) & 0xFFFFFFFF, T0 + at + i * PACKET)
        if i % 10 == 0:
            await asyncio.sleep(0)  # the SFU loop runs other things too (here: the tap's sender)
    await asyncio.sleep(0)


async def until(check: Any, what: str, timeout: float = 5.0) -> None:
    """Poll ``check()`` until true, at most ``timeout`` seconds (the tap sends from its own task)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


class LiveTapTestCase(SimpleTestCase):
    speech: np.ndarray

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.speech = read_wav(FIXTURES / "speech1.wav")

    async def test_speech_gives_interims_then_one_final(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        await feed(tap, opus_packets(np.concatenate([silence(1.0), self.speech, silence(1.5)])))
        self.assertEqual(await tap.close(), 1)

        self.assertEqual({c for c, _m in sent.messages}, {TRANSCRIBE_CHANNEL})
        self.assertEqual(len(sent.finals), 1)
        self.assertGreaterEqual(len(sent.interims), 1)
        self.assertTrue(sent.requests[-1]["final"])  # interims of an utterance go out before its final
        final = sent.finals[0]
        for m in sent.requests:
            self.assertEqual(m["type"], "transcribe.request")
            self.assertEqual((m["meeting"], m["room"], m["participant"], m["speaker"]), (3, 5, 7, "Bob"))
            self.assertEqual(m["utterance"], final["utterance"])
            self.assertIsInstance(m["pcm"], bytes)
            self.assertAlmostEqual(m["end"] - m["start"], len(m["pcm"]) / 32000, delta=0.01)
        # Times are seconds from the meeting start: joined at 5 s, 1 s of silence, the pre-roll.
        expected_start = JOINED + 1.0 + onset(self.speech) - PRE_ROLL
        self.assertAlmostEqual(final["start"], expected_start, delta=0.1)
        speech_end = JOINED + 1.0 + len(self.speech) / 16000
        self.assertGreater(final["end"], speech_end - 0.5)
        self.assertLess(final["end"], speech_end + 0.6)
        # The audio survived Opus and the resampler well enough to be understood.
        text = join_text(get_engine().transcribe(pcm16_to_float(final["pcm"])))
        self.assertLessEqual(wer(reference("speech1"), text), 0.2, text)

    async def test_rtp_timestamp_wraparound(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        packets = opus_packets(np.concatenate([silence(1.0), self.speech, silence(1.0)]))
        await feed(tap, packets, rtp0=0xFFFFFFFF - 60 * RTP_PER_PACKET)
        await tap.close()
        self.assertEqual(len(sent.finals), 1)
        self.assertAlmostEqual(
            sent.finals[0]["start"], JOINED + 1.0 + onset(self.speech) - PRE_ROLL, delta=0.1
        )

    async def test_silence_sends_nothing(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        await feed(tap, opus_packets(silence(5.0)))
        self.assertEqual(await tap.close(), 0)
        self.assertEqual(sent.messages, [])

    async def test_low_noise_sends_nothing(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        await feed(tap, opus_packets(low_noise(5.0, -60.0)))
        self.assertEqual(await tap.close(), 0)
        self.assertEqual(sent.messages, [])

    async def test_muted_sends_nothing(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        tap.set_muted(True)
        await feed(tap, opus_packets(np.concatenate([self.speech, silence(1.0)])))
        self.assertEqual(await tap.close(), 0)
        self.assertEqual(sent.messages, [])

    async def test_mute_ends_the_utterance_and_unmute_resumes(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        packets = opus_packets(np.concatenate([self.speech, silence(1.0)]))
        half = len(packets) // 2
        await feed(tap, packets[:half])
        tap.set_muted(True)
        await feed(tap, packets[half:], first=half)
        await until(lambda: sent.finals, "the final sent at the mute")
        self.assertEqual(len(sent.finals), 1)  # the words before the mute are not lost
        self.assertLess(sent.finals[0]["end"], JOINED + half * PACKET + 0.3)
        tap.set_muted(False)
        await feed(tap, packets, first=len(packets) + 50)
        self.assertEqual(await tap.close(), 2)
        self.assertEqual(len(sent.finals), 2)
        self.assertNotEqual(sent.finals[0]["utterance"], sent.finals[1]["utterance"])

    async def test_close_flushes_the_pending_utterance(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        await feed(tap, opus_packets(self.speech))  # no trailing silence: still speaking
        self.assertEqual(await tap.close(), 1)
        self.assertEqual(len(sent.finals), 1)
        tap.feed(b"\xfc\xff\xfe", 0, T0 + 30)  # after close: ignored
        self.assertEqual(await tap.close(), 1)

    async def test_monologue_is_cut_into_finals(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        clip = np.concatenate([self.speech, read_wav(FIXTURES / "speech2.wav")])
        await feed(tap, opus_packets(np.concatenate([clip, clip, clip, clip, silence(1.0)])))
        finals = await tap.close()
        self.assertGreaterEqual(finals, 2)
        self.assertEqual(len(sent.finals), finals)
        first = sent.finals[0]
        self.assertLessEqual(first["end"] - first["start"], MAX_UTTERANCE + 0.02)
        self.assertGreaterEqual(first["end"] - first["start"], MIN_SPLIT)
        self.assertAlmostEqual(sent.finals[1]["start"], first["end"], delta=0.05)
        # Cut in a pause between words, not through one: its last 40 ms are quiet ...
        tail = np.frombuffer(first["pcm"], "<i2")[-640:].astype(np.float64)
        self.assertLess(20 * np.log10(np.sqrt(np.mean(tail**2)) / 32768 + 1e-9), -40.0)
        # ... so that every word survives.
        text = " ".join(join_text(get_engine().transcribe(pcm16_to_float(f["pcm"]))) for f in sent.finals)
        words = " ".join([reference("speech1"), reference("speech2")] * 4)
        self.assertLessEqual(wer(words, text), 0.1, text)

    async def test_backlog_drops_interims_never_finals(self) -> None:
        gate = asyncio.Event()
        sent = Sent()

        async def slow_send(channel: str, message: dict[str, Any]) -> None:
            await gate.wait()  # Redis is slow right now
            await sent(channel, message)

        tap = make_audio_tap(Ctx(slow_send))
        one = np.concatenate([self.speech, silence(1.0)])
        await feed(tap, opus_packets(np.concatenate([one, one, one])))
        gate.set()
        self.assertEqual(await tap.close(), 3)
        self.assertEqual(len(sent.finals), 3)
        self.assertGreater(tap.interims_dropped, 0)
        self.assertLessEqual(len(sent.interims), 3)

    async def test_final_send_is_retried(self) -> None:
        sent = Sent()
        failures = [RuntimeError("redis down"), RuntimeError("redis down")]

        async def flaky(channel: str, message: dict[str, Any]) -> None:
            if message["final"] and failures:
                raise failures.pop()
            await sent(channel, message)

        tap = make_audio_tap(Ctx(flaky))
        await feed(tap, opus_packets(np.concatenate([self.speech, silence(1.0)])))
        self.assertEqual(await asyncio.wait_for(tap.close(), 10), 1)
        self.assertEqual(len(sent.finals), 1)

    async def test_garbage_packets_are_ignored(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        for i in range(20):
            tap.feed(bytes([0xFF, 0xFF, 0xFF, i]), i * RTP_PER_PACKET, T0 + i * PACKET)
        tap.feed(b"", 0, T0)
        await feed(tap, opus_packets(np.concatenate([self.speech, silence(1.0)])), first=20)
        self.assertEqual(await tap.close(), 1)

    async def test_missing_packets_count_as_silence(self) -> None:
        """DTX (or loss) sends nothing in a pause: the RTP timestamp gap still ends the utterance."""
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        packets = opus_packets(self.speech)
        await feed(tap, packets)
        # 1 s without packets, then the same speech again: RTP timestamps and arrival jump ahead.
        await feed(tap, packets, first=len(packets) + 50)
        self.assertEqual(await tap.close(), 2)
        first, second = sent.finals
        self.assertNotEqual(first["utterance"], second["utterance"])
        restart = JOINED + (len(packets) + 50) * PACKET
        self.assertAlmostEqual(second["start"], restart + onset(self.speech) - PRE_ROLL, delta=0.1)
        self.assertLess(first["end"], JOINED + len(packets) * PACKET + 0.3)

    async def test_utterance_ends_when_packets_stop(self) -> None:
        sent = Sent()
        tap = make_audio_tap(Ctx(sent))
        await feed(tap, opus_packets(self.speech))  # then nothing at all: the track went away
        await until(lambda: sent.finals, "the final after the packets stopped", timeout=4.0)
        self.assertEqual(len(sent.finals), 1)
        self.assertEqual(await tap.close(), 1)
