"""Live captions, SFU side: turn one participant's Opus packets into transcription requests.

The SFU worker calls ``feed`` with every RTP payload on its event loop, so ``feed`` only decodes
(about 60 us per 20 ms packet), measures energy and cuts utterances; Whisper runs in the
transcription workers (``runtranscriber``). Requests leave through a queue drained by the tap's
own task: interim requests are dropped when the queue backs up, final ones never are (except while
the captions breaker is open: transcripts.captions_breaker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import av
import numpy as np

from conference.protocol import TRANSCRIBE_CHANNEL, TranscribeRequest, transcribe_request
from transcripts import roster

if TYPE_CHECKING:
    from sfu.taps import AudioTapContext  # noqa: F401
    from transcripts.captions_breaker import CaptionsGate

logger = logging.getLogger(__name__)

RATE = 16000  # what Whisper wants
RTP_CLOCK = 48000  # Opus RTP timestamps always tick at 48 kHz

SPEECH_DBFS = -42.0  # a 20 ms frame louder than this is speech (espeak peaks at -1 dBFS, mics ~-25)
# ... and in a quiet room so is a frame this far above the noise floor (a quiet microphone's
# speech is at -50 dBFS), never below QUIETEST_DBFS: the VAD and Whisper's filters sort out the rest.
ABOVE_FLOOR_DB = 15.0
QUIETEST_DBFS = -60.0
FLOOR_RISE_DB = 0.01  # per 20 ms frame: the floor follows quiet at once, loud only slowly
HANGOVER = 0.6  # this much silence ends an utterance
PRE_ROLL = 0.3  # audio kept from before the onset, so first consonants are not cut
TAIL = 0.3  # silence kept after the last voiced frame of a final
MIN_VOICED = 0.25  # shorter blips (a cough, a click) are not sent at all
MAX_UTTERANCE = 18.0  # a monologue is cut here into a final and a new utterance ...
SPLIT_PAUSE = 0.15  # ... in the middle of its last pause this long (words cut in two are lost) ...
MIN_SPLIT = 4.0  # ... that began this far into the utterance (else at the limit itself)
INTERIM_EVERY = 1.5  # seconds of audio between interim requests
INTERIM_WINDOW = 8.0  # interim requests carry the last this-many seconds
MIN_GAP = 0.01  # a jump in RTP timestamps this long (or longer) was silence ...
MAX_GAP = 2.0  # ... up to this; longer jumps are a new clock, not a pause
WATCHDOG_EVERY = 0.25
SEND_RETRIES = 3
SEND_TIMEOUT = 5.0
CLOSE_TIMEOUT = 10.0  # close() waits at most this long for queued requests to go out


class SendFn(Protocol):
    def __call__(self, channel: str, message: dict[str, Any]) -> Awaitable[None]: ...


class AudioTap:
    """One participant's audio -> TranscribeRequests (see sfu/taps.py's AudioTap protocol)."""

    def __init__(
        self,
        *,
        meeting: int,
        room: int,
        participant: int,
        speaker: str,
        meeting_started_at: float,
        send: SendFn | Callable[[str, dict[str, Any]], Awaitable[None]],
        channel: str = TRANSCRIBE_CHANNEL,
        speech_dbfs: float = SPEECH_DBFS,
        source: str = "",
        gate: CaptionsGate | None = None,
    ) -> None:
        self.meeting = meeting
        self.source = source  # the SFU worker's id: the flush counts this worker's finals only
        self.room = room
        self.participant = participant
        self.speaker = speaker
        self.meeting_started_at = meeting_started_at
        self._send = send
        self.channel = channel
        self.speech_dbfs = speech_dbfs
        self._floor = QUIETEST_DBFS  # the room's noise floor, dBFS

        self._decoder = av.CodecContext.create("opus", "r")
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        # Clock: meeting time of a packet = anchor time + RTP ticks since the anchor packet.
        self._anchor_time: float | None = None
        self._anchor_rtp = 0
        self._last_rtp = 0
        self._rtp_unwrapped = 0

        self._muted = False
        self._closed = False
        self._pre_roll: deque[np.ndarray] = deque()
        self._pre_roll_samples = 0
        self._chunks: list[np.ndarray] = []  # the current utterance, 16 kHz int16 pieces
        self._in_speech = False
        self._utt_start = 0.0
        self._utt_samples = 0
        self._voiced_samples = 0
        self._last_voiced_end = 0  # samples into the utterance where the last voiced frame ended
        self._pause_mid = 0  # samples into the utterance of the middle of its last pause (0: none)
        self._since_interim = 0
        self._utt_id = ""
        self._utt_interims = 0
        self._counter = 0

        self._next_rtp: int | None = None  # RTP timestamp right after the last decoded packet
        self._last_feed = 0.0
        self._watchdog: asyncio.Task[None] | None = None

        self._queue: asyncio.Queue[TranscribeRequest] = asyncio.Queue()
        self._interim_pending = 0
        self._task: asyncio.Task[None] | None = None
        self.finals_sent = 0
        self.finals_failed = 0
        self.interims_sent = 0
        self.interims_dropped = 0
        self.finals_dropped = 0  # not sent: the captions breaker was open
        # The SFU's captions breaker (None: always send, as in tests that feed a tap directly).
        self._gate = gate
        if gate is not None:
            gate.register(room)
        roster.join(meeting, participant, speaker)

    @classmethod
    def from_context(cls, ctx: Any, gate: CaptionsGate | None = None) -> AudioTap:
        return cls(
            meeting=ctx.meeting,
            room=ctx.room,
            participant=ctx.participant,
            speaker=ctx.speaker,
            meeting_started_at=ctx.meeting_started_at,
            send=ctx.send,
            source=getattr(ctx, "source", ""),
            gate=gate,
        )

    # -- called by the SFU, on its loop -------------------------------------------------------

    def feed(self, payload: bytes, rtp_timestamp: int, arrival: float) -> None:
        if self._muted or self._closed or not payload:
            return
        self._last_feed = time.monotonic()
        if self._watchdog is None:
            self._start_watchdog()
        now = self._clock(rtp_timestamp, arrival)
        if self._next_rtp is not None:
            # Packets missing (loss, or DTX sending nothing in silence): that time was silence,
            # so the hangover still ends the utterance and durations stay right.
            gap = (rtp_timestamp - self._next_rtp) & 0xFFFFFFFF
            if MIN_GAP * RTP_CLOCK <= gap <= MAX_GAP * RTP_CLOCK:
                self._fill_silence(gap / RTP_CLOCK, now)
        try:
            frames = self._decoder.decode(av.Packet(payload))
            pcm_parts: list[np.ndarray] = []
            for frame in frames:
                frame.pts = None  # the resampler must not try to fill gaps in pts
                for out in self._resampler.resample(frame):
                    pcm_parts.append(out.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, ValueError) as exc:  # a corrupt packet costs 20 ms, not the tap
            logger.debug("Opus packet dropped (participant %s): %s", self.participant, exc)
            return
        if not pcm_parts:
            return
        pcm = pcm_parts[0] if len(pcm_parts) == 1 else np.concatenate(pcm_parts)
        self._next_rtp = (rtp_timestamp + pcm.size * (RTP_CLOCK // RATE)) & 0xFFFFFFFF
        self._process(pcm, now)

    def _fill_silence(self, seconds: float, now: float) -> None:
        frame = int(0.02 * RATE)
        frames = int(seconds * RATE) // frame
        zeros = np.zeros(frame, dtype=np.int16)
        for i in range(frames):
            self._process(zeros, now - seconds + i * 0.02)

    def _start_watchdog(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # fed outside an event loop (a script): no watchdog
            return
        self._watchdog = loop.create_task(self._watch(), name=f"caption-watchdog-{self.participant}")

    async def _watch(self) -> None:
        """Packets stopped altogether mid-utterance (track ended, network gone): end it anyway."""
        while True:
            await asyncio.sleep(WATCHDOG_EVERY)
            if self._in_speech and time.monotonic() - self._last_feed > HANGOVER + WATCHDOG_EVERY:
                self._end_utterance()

    def feed_pcm(self, pcm: np.ndarray, at: float) -> None:
        """Decoded 16 kHz int16 audio starting ``at`` seconds into the meeting, in 20 ms frames:
        the tap without Opus (evaluate_captions measures the pipeline apart from the codec)."""
        frame = int(0.02 * RATE)
        for i in range(0, pcm.size - frame + 1, frame):
            self._process(pcm[i : i + frame], at + i / RATE)

    def set_muted(self, muted: bool) -> None:
        if muted and not self._muted:
            self._end_utterance()
            self._pre_roll.clear()  # audio from before the mute must not open the next utterance
            self._pre_roll_samples = 0
        self._muted = muted

    async def close(self) -> int:
        """Send the pending utterance as a final; return the number of finals this tap sent."""
        if not self._closed:
            self._closed = True
            self._end_utterance()
            if self._task is not None:
                # Let the queued requests out (bounded), then stop the task.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._queue.join(), CLOSE_TIMEOUT)
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None
            if self._watchdog is not None:
                self._watchdog.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watchdog
                self._watchdog = None
            if self._gate is not None:
                self._gate.unregister(self.room)
            roster.leave(self.meeting, self.participant, self.speaker)
        return self.finals_sent

    # -- segmentation ---------------------------------------------------------------------------

    def _clock(self, rtp_timestamp: int, arrival: float) -> float:
        """Seconds from meeting start of this packet's first sample."""
        if self._anchor_time is None:
            self._anchor_time = arrival - self.meeting_started_at
            self._anchor_rtp = self._rtp_unwrapped = rtp_timestamp
            self._last_rtp = rtp_timestamp
            return max(0.0, self._anchor_time)
        delta = (rtp_timestamp - self._last_rtp) & 0xFFFFFFFF
        if delta >= 0x80000000:  # older packet (reordering): a negative step
            delta -= 0x100000000
        self._last_rtp = rtp_timestamp
        self._rtp_unwrapped += delta
        t = self._anchor_time + (self._rtp_unwrapped - self._anchor_rtp) / RTP_CLOCK
        wall = arrival - self.meeting_started_at
        if abs(t - wall) > 2.0:  # the sender's clock jumped (restart, new SSRC): re-anchor
            self._anchor_time, self._anchor_rtp = wall, self._rtp_unwrapped
            t = wall
        return max(0.0, t)

    def _process(self, pcm: np.ndarray, now: float) -> None:
        rms = math.sqrt(float(np.mean(np.square(pcm.astype(np.float32))))) / 32768.0
        level = 20 * math.log10(rms) if rms > 0 else -120.0
        self._floor = min(level, self._floor + FLOOR_RISE_DB)
        threshold = max(QUIETEST_DBFS, min(self.speech_dbfs, self._floor + ABOVE_FLOOR_DB))
        voiced = level > threshold
        if not self._in_speech:
            if voiced:
                self._start_utterance(now)
            else:
                self._pre_roll.append(pcm)
                self._pre_roll_samples += pcm.size
                while self._pre_roll and self._pre_roll_samples - self._pre_roll[0].size >= PRE_ROLL * RATE:
                    self._pre_roll_samples -= self._pre_roll.popleft().size
                return
        self._chunks.append(pcm)
        self._utt_samples += pcm.size
        self._since_interim += pcm.size
        if voiced:
            pause = self._utt_samples - pcm.size - self._last_voiced_end
            if pause >= SPLIT_PAUSE * RATE and self._last_voiced_end >= MIN_SPLIT * RATE:
                self._pause_mid = self._last_voiced_end + pause // 2
            self._voiced_samples += pcm.size
            self._last_voiced_end = self._utt_samples
        silence = (self._utt_samples - self._last_voiced_end) / RATE
        if silence >= HANGOVER:
            self._end_utterance()
        elif self._utt_samples >= MAX_UTTERANCE * RATE:
            self._split_utterance(now + pcm.size / RATE)
        elif self._since_interim >= INTERIM_EVERY * RATE and self._voiced_samples >= MIN_VOICED * RATE:
            self._since_interim = 0
            self._send_interim()

    def _split_utterance(self, now: float) -> None:
        """A monologue at MAX_UTTERANCE: a final up to its last pause; the rest opens the next."""
        audio = np.concatenate(self._chunks)
        at = self._pause_mid or audio.size
        rest = audio[at:]
        self._chunks = [audio[:at]]
        self._end_utterance(keep_tail=False)
        if rest.size:
            self._pre_roll = deque([rest])
            self._pre_roll_samples = rest.size
            self._start_utterance(now)
            self._voiced_samples = self._last_voiced_end = rest.size

    def _start_utterance(self, now: float) -> None:
        self._in_speech = True
        self._chunks = list(self._pre_roll)
        self._utt_samples = self._pre_roll_samples
        self._utt_start = max(0.0, now - self._pre_roll_samples / RATE)
        self._pre_roll.clear()
        self._pre_roll_samples = 0
        self._voiced_samples = 0
        self._last_voiced_end = self._utt_samples
        self._pause_mid = 0
        self._since_interim = 0
        self._counter += 1
        self._utt_id = f"m{self.meeting}p{self.participant}u{self._counter}-{secrets.token_hex(4)}"
        self._utt_interims = 0

    def _end_utterance(self, *, keep_tail: bool = True) -> None:
        if not self._in_speech:
            return
        self._in_speech = False
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        self._chunks = []
        if keep_tail:
            audio = audio[: min(audio.size, self._last_voiced_end + int(TAIL * RATE))]
        # A blip nobody saw a caption for is not worth a request (nor a count in the flush).
        if self._voiced_samples < MIN_VOICED * RATE and self._utt_interims == 0:
            return
        self._enqueue(self._request(audio, self._utt_start, final=True))

    def _send_interim(self) -> None:
        if self._interim_pending:  # the previous one has not left yet: the queue is backing up
            self.interims_dropped += 1
            return
        window = int(INTERIM_WINDOW * RATE)
        audio = np.concatenate(self._chunks)
        start = self._utt_start
        if audio.size > window:
            start += (audio.size - window) / RATE
            audio = audio[-window:]
        self._utt_interims += 1
        self._interim_pending += 1
        self._enqueue(self._request(audio, start, final=False))

    def _request(self, audio: np.ndarray, start: float, *, final: bool) -> TranscribeRequest:
        return transcribe_request(
            meeting=self.meeting,
            room=self.room,
            participant=self.participant,
            speaker=self.speaker,
            utterance=self._utt_id,
            final=final,
            start=round(start, 3),
            end=round(start + audio.size / RATE, 3),
            sent_at=time.time(),
            pcm=audio.astype("<i2").tobytes(),
            source=self.source,
            names=roster.roster(self.meeting, self.participant),
        )

    # -- sending --------------------------------------------------------------------------------

    def _gate_open(self, request: TranscribeRequest) -> bool:
        """The breaker is open: drop the request (counted), do not queue it."""
        if self._gate is None or not self._gate.open:
            return False
        if request["final"]:
            self.finals_dropped += 1
        else:
            self.interims_dropped += 1
        return True

    def _enqueue(self, request: TranscribeRequest) -> None:
        if self._gate_open(request):
            if not request["final"]:
                self._interim_pending -= 1
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._sender(), name=f"caption-tap-{self.participant}"
            )
        self._queue.put_nowait(request)

    async def _sender(self) -> None:
        while True:
            request = await self._queue.get()
            try:
                if request["final"]:
                    if not self._gate_open(request):
                        await self._send_final(request)
                else:
                    self._interim_pending -= 1
                    if self._gate_open(request):
                        continue
                    if request["utterance"] != self._utt_id or not self._in_speech:
                        continue  # its final is queued behind it: the interim would only flicker
                    request["sent_at"] = time.time()
                    try:
                        await asyncio.wait_for(self._send(self.channel, dict(request)), SEND_TIMEOUT)
                        self.interims_sent += 1
                    except Exception as exc:  # an interim is worth nothing a second later
                        logger.warning("Interim caption request lost: %s", exc)
                        if self._gate is not None:
                            await self._gate.failed(exc)
            finally:
                self._queue.task_done()

    async def _send_final(self, request: TranscribeRequest) -> None:
        for attempt in range(SEND_RETRIES):
            request["sent_at"] = time.time()
            try:
                await asyncio.wait_for(self._send(self.channel, dict(request)), SEND_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("Final caption request not sent (attempt %s): %s", attempt + 1, exc)
                if self._gate is not None:
                    await self._gate.failed(exc)
                    if self._gate_open(request):
                        return  # the breaker opened meanwhile: dropped, not retried
                await asyncio.sleep(0.2 * (attempt + 1))
            else:
                self.finals_sent += 1
                return
        # Not counted: the flush must only announce finals that workers can actually see.
        self.finals_failed += 1
        logger.error("Final caption of %s lost after %s attempts", request["utterance"], SEND_RETRIES)


def make_audio_tap(ctx: Any) -> AudioTap:
    """A tap for one participant's audio (ctx: sfu.taps.AudioTapContext), without a breaker; the
    SFU's factory is transcripts.captions_breaker.make_audio_tap."""
    return AudioTap.from_context(ctx)
