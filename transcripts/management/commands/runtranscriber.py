"""Transcription worker: run as many as the load needs (they compete for TRANSCRIBE_CHANNEL)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from conference.workers import install_stop_signals, run_worker

logger = logging.getLogger("transcripts.worker")


class Command(BaseCommand):
    help = "Transcribe live-caption requests; stops cleanly (after the current item) on SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-interim-age", type=float, default=3.0, help="skip older interim requests (s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from transcripts.engine import get_engine
        from transcripts.worker import Transcriber

        try:
            engine = get_engine()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        run_worker(self._run(Transcriber(engine, max_interim_age=options["max_interim_age"])))

    async def _run(self, transcriber: Any) -> None:
        from django.conf import settings

        from conference import health
        from conference.metrics_server import start_metrics_server

        stop = asyncio.Event()
        install_stop_signals(stop)
        server = start_metrics_server(
            settings.TRANSCRIBER_METRICS_PORT,
            checks={
                "redis": health.check_redis,
                "database": health.check_database,
                "loop": health.loop_check(asyncio.get_running_loop()),
            },
        )
        try:
            await transcriber.run(stop)
        finally:
            if server is not None:
                server.stop()
        logger.info("Transcriber stopped: %s", transcriber.stats)
