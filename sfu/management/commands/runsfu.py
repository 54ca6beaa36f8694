"""``python manage.py runsfu [--worker-id ID]``: one SFU worker (one event loop, about one core)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from conference import health, logs, protocol
from conference.metrics_server import start_metrics_server
from conference.workers import install_stop_signals, run_worker, serve
from sfu import metrics
from sfu.heartbeat import Heartbeat
from sfu.taps import AudioTapFactory
from sfu.worker import SfuWorker

logger = logging.getLogger("sfu.runsfu")

SHUTDOWN_TIMEOUT = 8.0


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def load_tap_factory() -> AudioTapFactory:
    # A dotted path in settings: sfu never imports transcripts, and an import error is not hidden.
    return import_string(settings.SFU_AUDIO_TAP_FACTORY)


class Command(BaseCommand):
    help = "Run one SFU worker: reads sfu.* commands from its channel, forwards media."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--worker-id", default="", help="default: hostname-pid-random")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or default_worker_id()
        run_worker(run(worker_id))


async def run(worker_id: str) -> None:
    logs.bind(worker=worker_id)  # every task of this worker starts from this context
    layer = get_channel_layer()
    channel = protocol.sfu_channel(worker_id)

    async def send(target: str, message: dict[str, Any]) -> None:
        await layer.send(target, message)

    worker = SfuWorker.from_settings(
        send, settings, audio_tap_factory=load_tap_factory(), worker_id=worker_id
    )
    heartbeat = Heartbeat(
        worker_id,
        lambda: worker.load,
        full=lambda: worker.full,
        streams=lambda: worker.streams,
        capacity=worker.limits.max_streams_per_worker,
    )
    stop = asyncio.Event()
    install_stop_signals(stop)

    await heartbeat.start()
    loop = asyncio.get_running_loop()
    unregister = metrics.register(worker, loop)
    server = start_metrics_server(
        settings.SFU_METRICS_PORT,
        checks={"redis": health.check_redis, "heartbeat": heartbeat.check, "loop": health.loop_check(loop)},
    )
    logger.info("SFU worker %s ready", worker_id)
    try:
        # A command is never cancelled half-way (that could leave a participant half set up);
        # one slower than the page's reply timeout is logged.
        await serve(
            channel,
            worker.handle,
            stop,
            layer=layer,
            drain_timeout=SHUTDOWN_TIMEOUT,
            slow_after=settings.SFU_REPLY_TIMEOUT_SECONDS,
        )
    finally:
        try:
            await asyncio.wait_for(worker.close("server-shutdown"), SHUTDOWN_TIMEOUT)
        except Exception:
            logger.exception("SFU worker %s did not close cleanly", worker_id)
        try:
            await heartbeat.stop()
        except Exception:
            logger.exception("SFU worker %s could not remove its heartbeat", worker_id)
        if server is not None:
            server.stop()
        unregister()
        logger.info("SFU worker %s stopped", worker_id)
