"""Parts of bench/captions.py: reading the dev set's WAV files, figures from /proc, the throwaway
database, each speaker's audio plan, and speakers as aiortc peers of an in-process SfuWorker."""

from __future__ import annotations

import asyncio
import os
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise SystemExit(f"{path}: expected 16 kHz mono 16-bit WAV")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def setup_database(db_path: Path) -> tuple[int, int, list[int]]:
    """A throwaway database with one meeting; returns meeting, room and participant ids."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from accounts.models import Organization, User
    from rooms.models import Meeting, Participant, Room

    org = Organization.objects.create(name="Bench", slug="bench")
    user = User.objects.create(username="bench")
    room = Room.objects.create(organization=org, name="Bench", slug="bench", created_by=user)
    meeting = Meeting.objects.create(room=room)
    participants = [
        Participant.objects.create(meeting=meeting, display_name=f"Speaker {i + 1}").pk for i in range(16)
    ]
    return meeting.pk, room.pk, participants


def speaker_plans(speech: Path, n_speakers: int, n_utts: int, via_sfu: bool) -> list[tuple[Any, list[int]]]:
    """Each speaker's audio (Opus packets, or 16 kHz PCM for the SFU path) and, per utterance, the
    index of its last voiced 20 ms packet."""
    from conference.testing.audio import opus_packets
    from transcripts.live import SPEECH_DBFS

    # Each speaker: utterances with 0.5 s before and 1.5 s of silence after, in a different order.
    clips = [read_wav(speech / f"utt{i:02d}.wav") for i in range(1, n_utts + 1)]
    frame = 320
    plans: list[tuple[Any, list[int]]] = []  # audio, index of the last voiced packet per utterance
    for s in range(n_speakers):
        order = clips[s % len(clips) :] + clips[: s % len(clips)]
        pieces: list[np.ndarray] = [np.zeros(8000 + 2400 * s, np.int16)]  # staggered starts
        ends: list[int] = []
        pos = len(pieces[0])
        for clip in order:
            rms = np.array(
                [
                    np.sqrt(np.mean(np.square(clip[i : i + frame].astype(np.float64))))
                    for i in range(0, len(clip) - frame, frame)
                ]
            )
            voiced = np.nonzero(20 * np.log10(np.maximum(rms, 1e-9) / 32768) > SPEECH_DBFS)[0]
            ends.append((pos + (voiced[-1] + 1) * frame) // frame)
            pieces += [clip, np.zeros(24000, np.int16)]
            pos += len(clip) + 24000
        pcm = np.concatenate(pieces)
        plans.append((pcm if via_sfu else opus_packets(pcm), ends))
    return plans


async def feed_via_sfu(
    plans: list[tuple[Any, list[int]]],
    meeting: int,
    room: int,
    participants: list[int],
    started: float,
    layer: Any,
) -> tuple[dict[tuple[int, int], float], int]:
    """Each speaker is an aiortc peer publishing its audio (20 ms frames in real time) to an
    in-process SfuWorker whose taps are transcripts.live's; returns speech ends and the finals
    announced in the SFU's flush."""
    import fractions

    import av
    from aiortc import MediaStreamTrack

    from conference.testing.peers import BrowserPeer
    from sfu.worker import SfuWorker
    from transcripts.live import make_audio_tap

    speech_end: dict[tuple[int, int], float] = {}
    flushes: list[dict[str, Any]] = []
    peers: dict[int, BrowserPeer] = {}

    async def send(channel: str, message: dict[str, Any]) -> None:
        if channel.startswith("reply."):
            peers[int(channel.split(".", 1)[1])].inbox.put_nowait(message)
            return
        if message.get("type") == "transcribe.flush":
            flushes.append(message)
        await layer.send(channel, message)

    class SpeechTrack(MediaStreamTrack):
        kind = "audio"

        def __init__(self, speaker: int, pcm16k: np.ndarray, ends: list[int]) -> None:
            super().__init__()
            self.speaker, self.ends = speaker, ends
            self.pcm = np.repeat(pcm16k, 3)  # 48 kHz; the bench's speech is band-limited anyway
            self.frames = len(pcm16k) // 320
            self.i = 0
            self.t0: float | None = None

        async def recv(self) -> av.AudioFrame:
            if self.t0 is None:
                self.t0 = time.perf_counter()
            i = self.i
            self.i += 1
            await asyncio.sleep(max(0.0, self.t0 + i * 0.02 - time.perf_counter()))
            chunk = self.pcm[i * 960 : (i + 1) * 960]
            if len(chunk) < 960:
                chunk = np.zeros(960, np.int16)
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = 48000
            frame.pts = i * 960
            frame.time_base = fractions.Fraction(1, 48000)
            if i + 1 in self.ends:
                speech_end[(self.speaker, self.ends.index(i + 1))] = time.perf_counter()
            return frame

    worker = SfuWorker(send, host_addresses=["127.0.0.1"], audio_tap_factory=make_audio_tap)
    tracks = [SpeechTrack(s, pcm, ends) for s, (pcm, ends) in enumerate(plans)]
    try:
        for s, track in enumerate(tracks):
            pid = participants[s]
            peer = BrowserPeer(pid, worker.call, audio=track, decode=False)
            peers[pid] = peer
            peer.start()
            await worker.call(
                {
                    "type": "sfu.join",
                    "meeting": meeting,
                    "room": room,
                    "meeting_started_at": started,
                    "captions": True,
                    "participant": pid,
                    "name": f"Speaker {s + 1}",
                    "reply_channel": f"reply.{pid}",
                }
            )
            await peer.publish()
            await asyncio.wait_for(peer.publish_answered.wait(), 20)
        deadline = time.monotonic() + max(t.frames for t in tracks) * 0.02 + 60
        while any(t.i < t.frames for t in tracks):
            if time.monotonic() > deadline:
                raise SystemExit("the SFU did not pull all the audio in time")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.1)
        for s in range(len(tracks)):
            pid = participants[s]
            await asyncio.wait_for(worker.call({"type": "sfu.leave", "participant": pid}), 60)
            await peers.pop(pid).close()  # gone: it answers no more offers
    finally:
        await asyncio.wait_for(worker.close("bench-over"), 30)
        for peer in peers.values():
            await peer.close()
    return speech_end, sum(int(f["finals"]) for f in flushes)
