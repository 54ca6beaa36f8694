"""Audio for tests and benches: 16 kHz WAV files, silence and noise, Opus packets as a browser sends them."""

from __future__ import annotations

import fractions
import wave
from pathlib import Path

import av
import numpy as np
from aiortc.codecs.opus import OpusEncoder

RATE = 16000
PACKET = 0.02  # seconds of audio per Opus packet
RTP_PER_PACKET = 960  # 20 ms at 48 kHz


def read_wav(path: Path) -> np.ndarray:
    """16 kHz mono 16-bit WAV -> int16 samples."""
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def opus_packets(samples: np.ndarray) -> list[bytes]:
    """Encode 16 kHz int16 mono audio as 20 ms Opus packets, the way a browser sends them."""
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
    # Both channels carry the microphone at its level, as a browser's Opus does (FFmpeg's own
    # mono-to-stereo mix would put it 3 dB down).
    mono = samples.reshape(-1).astype(np.int16)
    stereo = np.repeat(mono, 2).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
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
