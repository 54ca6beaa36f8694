"""Transcription worker loop: TRANSCRIBE_CHANNEL -> Whisper -> room group captions + stored finals.

Workers are competing consumers of one channel, so any number of them can run; each request
carries its whole audio window, so a worker keeps no state between requests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import OperationalError, close_old_connections

from conference import logs
from conference.protocol import TRANSCRIBE_CHANNEL, room_caption, room_group
from conference.workers import describe, serve
from transcripts import metrics, selectors, services
from transcripts.engine import Engine, join_text, pcm16_to_float
from transcripts.heartbeat import TranscriberHeartbeat
from transcripts.prompt import RecentCaptions, clean_names, decoder_prompt, respell

logger = logging.getLogger(__name__)

MAX_INTERIM_AGE = 3.0  # an interim caption older than this is no use to anyone
DB_RETRIES = 3
FINALIZED_MEMORY = 1000
ROOM_NAME_SECONDS = 60.0  # a renamed room reaches the prompt within this


class BadRequest(ValueError):
    pass


def _db(fn: Any, /, **kwargs: Any) -> Any:
    close_old_connections()  # a long-lived process must not keep a connection the server dropped
    for attempt in range(DB_RETRIES):
        try:
            return fn(**kwargs)
        except OperationalError:
            if attempt == DB_RETRIES - 1:
                raise
            close_old_connections()
            time.sleep(0.5 * (attempt + 1))
    return None


class Transcriber:
    def __init__(
        self,
        engine: Engine,
        layer: BaseChannelLayer | None = None,
        *,
        channel: str = TRANSCRIBE_CHANNEL,
        max_interim_age: float = MAX_INTERIM_AGE,
    ) -> None:
        self.engine = engine
        self.layer = layer or get_channel_layer()
        self.channel = channel
        self.max_interim_age = max_interim_age
        self.stats = {"interim": 0, "final": 0, "stale": 0, "flush": 0, "bad": 0}
        self._finalized: dict[str, None] = {}  # recent final utterances, oldest first
        self._recent = RecentCaptions()
        self._room_names: dict[int, tuple[str, float]] = {}  # room id -> (name, when read)

    async def run(self, stop: asyncio.Event) -> None:
        """Handle messages until ``stop`` is set (the current one is finished first), announced
        by a heartbeat in Redis meanwhile (the SFUs' captions breaker looks for one)."""
        beat = TranscriberHeartbeat(f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}")
        await beat.start()
        logger.info("Transcriber ready (listening on %r)", self.channel)
        try:
            await serve(self.channel, self.handle, stop, layer=self.layer)
        finally:
            await beat.stop()

    async def _room_name(self, room: int) -> str:
        """The room's name for the prompt, read at most once a minute; "" while the database is away."""
        cached = self._room_names.get(room)
        if cached is not None and time.monotonic() - cached[1] < ROOM_NAME_SECONDS:
            return cached[0]
        try:
            name = await sync_to_async(_db)(selectors.room_name, room_id=room)
        except Exception as exc:  # the prompt is a help: captions go on without it
            logger.warning("Room name for the captions prompt not read: %s", exc)
            return cached[0] if cached else ""
        if len(self._room_names) > FINALIZED_MEMORY:
            self._room_names.clear()
        self._room_names[room] = (name, time.monotonic())
        return name

    def count(self, kind: str) -> None:
        self.stats[kind] += 1
        metrics.REQUESTS.labels(kind).inc()

    async def handle(self, message: dict[str, Any]) -> None:
        # Each message is handled in a task of its own (conference.workers.serve): ids bound here
        # stay with this message's log lines.
        if isinstance(message, dict):
            logs.bind(
                meeting=message.get("meeting"),
                participant=message.get("participant"),
                worker=message.get("source") or None,
            )
        kind = message.get("type")
        if kind == "transcribe.request":
            await self._request(message)
        elif kind == "transcribe.flush":
            try:
                meeting, finals = int(message["meeting"]), int(message["finals"])
                source = str(message.get("source") or "")
            except (KeyError, TypeError, ValueError):
                self.count("bad")
                logger.error("Malformed flush: %s", describe(message))
                return
            self.count("flush")
            logger.info("Transcript flush: %s finals to wait for", finals)
            await sync_to_async(_db)(services.record_flush, meeting_id=meeting, finals=finals, source=source)
        else:
            self.count("bad")
            logger.warning("Unknown message type on %s: %r", self.channel, kind)

    async def _request(self, message: dict[str, Any]) -> None:
        try:
            final = bool(message["final"])
            meeting = int(message["meeting"])
            room = int(message["room"])
            participant = int(message["participant"])
            speaker = str(message["speaker"])
            utterance = str(message["utterance"])
            start, end = float(message["start"]), float(message["end"])
        except (KeyError, TypeError, ValueError):
            self.count("bad")
            logger.error("Malformed transcription request: %s", describe(message))
            return
        if not final and (
            time.time() - float(message.get("sent_at") or 0) > self.max_interim_age
            or utterance in self._finalized
        ):
            self.count("stale")  # old, or its final was already shown: it would only flicker
            return
        text = ""
        pcm = message.get("pcm")
        if isinstance(pcm, bytes | bytearray) and len(pcm) % 2 == 0:
            names = clean_names(message.get("names"))
            prompt = decoder_prompt(names, await self._room_name(room), self._recent.text(meeting))
            began = time.monotonic()
            segs = await asyncio.to_thread(
                self.engine.transcribe_live, pcm16_to_float(bytes(pcm)), final=final, prompt=prompt
            )
            text = respell(join_text(segs), names)
            seconds = len(pcm) / 2 / 16000
            if seconds > 0:
                metrics.AUDIO_SECONDS.inc(seconds)
                metrics.REAL_TIME_FACTOR.observe((time.monotonic() - began) / seconds)
        else:
            # A final still counts (with no words) so that the transcript can complete.
            logger.error("Transcription request without 16-bit PCM: %s", describe(message))
        if final or text:
            event = room_caption(
                participant=participant,
                speaker=speaker,
                text=text,
                final=final,
                utterance=utterance,
                start=start,
                end=end,
            )
            try:
                await self.layer.group_send(room_group(room), dict(event))
            except Exception as exc:  # captions are best effort; the stored final is what matters
                logger.warning("Caption broadcast failed: %s", exc)
            else:
                sent_at = message.get("sent_at")
                if isinstance(sent_at, int | float) and sent_at > 0:
                    latency = max(0.0, time.time() - sent_at)
                    metrics.CAPTION_LATENCY.labels("true" if final else "false").observe(latency)
        if final:
            self._recent.add(meeting, text)
            self._finalized[utterance] = None
            while len(self._finalized) > FINALIZED_MEMORY:
                self._finalized.pop(next(iter(self._finalized)))
            self.count("final")
            # Words are what people said: the log says how many, never which.
            logger.info(
                "Final caption %s: %s words, %.1f s of audio", utterance, len(text.split()), end - start
            )
            await sync_to_async(_db)(
                services.store_final_segment,
                meeting_id=meeting,
                participant_id=participant,
                speaker=speaker,
                utterance=utterance,
                start=start,
                end=end,
                text=text,
                source=str(message.get("source") or ""),
            )
        else:
            self.count("interim")
