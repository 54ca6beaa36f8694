"""Prometheus metrics of a transcription worker (served by runtranscriber on TRANSCRIBER_METRICS_PORT)."""

from __future__ import annotations

import redis
from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

from conference.protocol import TRANSCRIBE_CHANNEL

REQUESTS = Counter(
    "transcriber_requests", "Messages handled, by kind (interim, final, stale, flush, bad)", ["kind"]
)
AUDIO_SECONDS = Counter("transcriber_audio_seconds", "Seconds of speech transcribed")
REAL_TIME_FACTOR = Histogram(
    "transcriber_real_time_factor",
    "Transcription time over audio duration, per request",
    buckets=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 4),
)
CAPTION_LATENCY = Histogram(
    "transcriber_caption_latency_seconds",
    "From the SFU sending a request to its caption going out to the room",
    ["final"],
    buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
)
QUEUE_DEPTH = Gauge("transcriber_queue_depth", "Requests waiting in the shared transcription channel")


def queue_depth() -> int:
    """Messages waiting on TRANSCRIBE_CHANNEL: channels-redis keeps them in one sorted set."""
    key = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] + TRANSCRIBE_CHANNEL
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        return int(client.zcard(key))
    except redis.RedisError:
        return -1  # Redis unreachable: readiness says so; -1 stands out on a graph
    finally:
        client.close()


for _kind in ("interim", "final", "stale", "flush", "bad"):
    REQUESTS.labels(_kind)  # exported at 0 from the start
QUEUE_DEPTH.set_function(queue_depth)
