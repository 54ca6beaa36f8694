"""``python manage.py runsfu [--worker-id ID]``: one SFU worker (one event loop, about one core)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand

from conference import protocol
from conference.workers import cancel_and_wait, run_worker
from sfu.heartbeat import Heartbeat
from sfu.taps import AudioTapFactory
from sfu.worker import SfuWorker

logger = logging.getLogger("sfu.runsfu")

SHUTDOWN_TIMEOUT = 8.0


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def load_tap_factory() -> AudioTapFactory | None:
    try:
        from transcripts.live import make_audio_tap  # written alongside; may not exist yet
    except ImportError:
        logger.info("transcripts.live.make_audio_tap not available: running without captions")
        return None
    return make_audio_tap


class Command(BaseCommand):
    help = "Run one SFU worker: reads sfu.* commands from its channel, forwards media."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--worker-id", default="", help="default: hostname-pid-random")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or default_worker_id()
        run_worker(run(worker_id))


async def run(worker_id: str) -> None:
    layer = get_channel_layer()
    channel = protocol.sfu_channel(worker_id)

    async def send(target: str, message: dict[str, Any]) -> None:
        await layer.send(target, message)

    worker = SfuWorker.from_settings(
        send, settings, audio_tap_factory=load_tap_factory(), worker_id=worker_id
    )
    heartbeat = Heartbeat(worker_id, lambda: worker.load)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def receive_loop() -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("SFU worker %s could not read its channel", worker_id)
                await asyncio.sleep(1)
                continue
            try:
                await asyncio.wait_for(worker.handle(message), settings.SFU_REPLY_TIMEOUT_SECONDS * 3)
            except Exception:  # one bad message never stops the worker
                logger.exception(
                    "SFU command failed: %r", message.get("type") if isinstance(message, dict) else message
                )

    await heartbeat.start()
    receiver = asyncio.create_task(receive_loop())
    logger.info("SFU worker %s ready", worker_id)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({receiver, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await cancel_and_wait([receiver, stopper])
        try:
            await asyncio.wait_for(worker.close("server-shutdown"), SHUTDOWN_TIMEOUT)
        except Exception:
            logger.exception("SFU worker %s did not close cleanly", worker_id)
        try:
            await heartbeat.stop()
        except Exception:
            logger.exception("SFU worker %s could not remove its heartbeat", worker_id)
        logger.info("SFU worker %s stopped", worker_id)
