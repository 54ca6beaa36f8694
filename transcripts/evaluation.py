"""The four ways of decoding that evaluate_captions compares, and its short-utterance set.

- live: the meeting path. The audio goes through the SFU's AudioTap (energy gate, utterance
  cuts), and every final request is decoded as a transcription worker does (prompt, spelling).
- opus: the same after Opus coding, as a browser sends it (the codec's own loss: tiny.en is
  sensitive to it, and no setting of ours changes it).
- file: ``transcribe_file`` (Engine.transcribe on the whole file).
- plain: faster-whisper as the eval set's baseline.md runs it (beam 5, VAD, nothing else).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcripts.engine import Engine, join_text, pcm16_to_float
from transcripts.prompt import RecentCaptions, clean_names, decoder_prompt, respell

RATE = 16000
LEAD_SECONDS = 1.0  # silence before and after each clip: a live utterance starts and ends in quiet

# Short utterances as people say them in meetings: numbers said twice, answers, times.
SHORT_PHRASES = (
    "forty two, forty two",
    "yes, please",
    "Thursday works",
    "no, thanks",
    "two thirty",
    "seven, seven",
)
SHORT_SPEEDS = (140, 180, 220)  # espeak-ng words per minute
SHORT_LEVELS = (-1, -20, -35)  # peak dBFS: a loud, an ordinary and a quiet microphone
SHORT_VOICE = "en-us"


@dataclass(frozen=True)
class Clip:
    name: str
    wav: Path
    text: str


def live_text(
    engine: Engine, samples: np.ndarray, *, speaker: str = "", room_name: str = "", opus: bool = False
) -> str:
    """What a meeting's transcript holds for these samples (16 kHz int16) said by ``speaker``:
    the prompt and the spelling of names as a transcription worker makes them."""
    recent = RecentCaptions()
    texts = []
    for request in asyncio.run(_tap_finals(samples, speaker, opus)):
        names = clean_names(request.get("names"))
        prompt = decoder_prompt(names, room_name, recent.text(1))
        text = respell(
            join_text(engine.transcribe_live(pcm16_to_float(request["pcm"]), final=True, prompt=prompt)),
            names,
        )
        recent.add(1, text)
        texts.append(text)
    return " ".join(t for t in texts if t).strip()


async def _tap_finals(samples: np.ndarray, speaker: str, opus: bool) -> list[dict[str, Any]]:
    from conference.testing.audio import PACKET, RTP_PER_PACKET, opus_packets
    from transcripts.live import AudioTap

    sent: list[dict[str, Any]] = []

    async def send(_channel: str, message: dict[str, Any]) -> None:
        sent.append(message)

    t0 = 1_700_000_000.0
    tap = AudioTap(meeting=1, room=1, participant=1, speaker=speaker, meeting_started_at=t0, send=send)
    quiet = np.zeros(int(LEAD_SECONDS * RATE), dtype=np.int16)
    audio = np.concatenate([quiet, samples.astype(np.int16), quiet])
    if opus:
        for i, payload in enumerate(opus_packets(audio)):
            tap.feed(payload, (1234 + i * RTP_PER_PACKET) & 0xFFFFFFFF, t0 + i * PACKET)
            if i % 10 == 0:
                await asyncio.sleep(0)  # let the tap's sender run, as the SFU loop does
    else:
        block = int(10 * PACKET * RATE)
        for i in range(0, audio.size, block):
            tap.feed_pcm(audio[i : i + block], i / RATE)
            await asyncio.sleep(0)
    await tap.close()
    return [m for m in sent if m["final"]]


def plain_text(engine: Engine, wav: Path) -> str:
    segments, _info = engine.model.transcribe(
        str(wav), language=engine.language, beam_size=engine.beam_size, vad_filter=True
    )
    return " ".join(s.text.strip() for s in segments).strip()


def make_short_set(
    folder: Path,
    *,
    phrases: tuple[str, ...] = SHORT_PHRASES,
    speeds: tuple[int, ...] = SHORT_SPEEDS,
    levels: tuple[int, ...] = SHORT_LEVELS,
) -> list[Clip]:
    """espeak-ng clips of ``phrases`` at every speed and level, 16 kHz mono (made as eval-dev's)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is needed for the short-utterance set (make setup installs it)")
    clips: list[Clip] = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        for p, text in enumerate(phrases, 1):
            for speed in speeds:
                subprocess.run(
                    ["espeak-ng", "-v", SHORT_VOICE, "-s", str(speed), "-w", str(raw), text],
                    check=True,
                    capture_output=True,
                    timeout=60,
                )
                for level in levels:
                    name = f"short{p:02d}-{speed}wpm{level}dB"
                    wav = folder / f"{name}.wav"
                    subprocess.run(
                        ["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)]
                        + ["gain", "-n", str(level)],
                        check=True,
                        capture_output=True,
                        timeout=60,
                    )
                    clips.append(Clip(name, wav, text))
    return clips
