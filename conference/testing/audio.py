"""Shared test helpers for the captions tests: fixtures, a small WER, Opus packets, named users."""

from __future__ import annotations

import fractions
import re
import wave
from pathlib import Path

import av
import numpy as np
from aiortc.codecs.opus import OpusEncoder

from accounts import services as account_services
from accounts.models import Membership
from conference.test import make_users
from rooms import services as room_services
from rooms.models import Meeting, Participant

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RATE = 16000
PACKET = 0.02  # seconds of audio per Opus packet
RTP_PER_PACKET = 960  # 20 ms at 48 kHz


def read_wav(path: Path) -> np.ndarray:
    """16 kHz mono 16-bit WAV -> int16 samples."""
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def reference(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").strip()


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(ref: str, hyp: str) -> float:
    """Word error rate: word-level edit distance / reference words (case and punctuation ignored)."""
    r, h = _words(ref), _words(hyp)
    if not r:
        return 0.0 if not h else 1.0
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1] / len(r)


def opus_packets(samples: np.ndarray) -> list[bytes]:
    """Encode 16 kHz int16 mono audio as 20 ms Opus packets, the way a browser sends them."""
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.int16), format="s16", layout="mono")
    frame.sample_rate = RATE
    pcm48 = np.concatenate(
        [f.to_ndarray().reshape(-1) for f in [*resampler.resample(frame), *resampler.resample(None)]]
    )
    encoder = OpusEncoder()
    packets: list[bytes] = []
    n = RTP_PER_PACKET * 2  # interleaved stereo
    for i in range(0, len(pcm48) - n + 1, n):
        f = av.AudioFrame.from_ndarray(pcm48[i : i + n].reshape(1, -1), format="s16", layout="stereo")
        f.sample_rate = 48000
        f.pts = i // 2
        f.time_base = fractions.Fraction(1, 48000)
        payloads, _ts = encoder.encode(f)
        packets.extend(payloads)
    return packets


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def low_noise(seconds: float, dbfs: float = -50.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = 32768 * 10 ** (dbfs / 20)
    return np.clip(rng.normal(0, level, int(seconds * RATE)), -32768, 32767).astype(np.int16)


def setup_meeting(test: object) -> None:
    """Named users (see conference.test) plus dave, an org admin, and erin, a member who was not
    in the meeting; bob and alice attended a meeting of alice's room."""
    make_users(test)
    t = test
    t.dave = account_services.create_user(username="dave", password="password", display_name="Dave")  # type: ignore[attr-defined]
    Membership.objects.create(organization=t.org, user=t.dave, role=Membership.Role.ADMIN)  # type: ignore[attr-defined]
    t.erin = account_services.create_user(username="erin", password="password", display_name="Erin")  # type: ignore[attr-defined]
    Membership.objects.create(organization=t.org, user=t.erin, role=Membership.Role.MEMBER)  # type: ignore[attr-defined]
    t.p_alice = room_services.join_meeting(room=t.room, user=t.alice)  # type: ignore[attr-defined]
    t.p_bob = room_services.join_meeting(room=t.room, user=t.bob)  # type: ignore[attr-defined]
    t.meeting = Meeting.objects.get(pk=t.p_alice.meeting_id)  # type: ignore[attr-defined]


def participant(pk: int) -> Participant:
    return Participant.objects.get(pk=pk)
