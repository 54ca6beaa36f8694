"""Channel-layer and Redis names shared by the processes."""

from __future__ import annotations

__all__ = [
    "room_group",
    "sfu_channel",
    "TRANSCRIBE_CHANNEL",
    "SFU_HEARTBEAT_KEY",
    "TRANSCRIBER_HEARTBEAT_KEY",
]


def room_group(room_id: int) -> str:
    """Group every participant's consumer of a room joins: presence, chat, captions."""
    return f"room.{room_id}"


def sfu_channel(worker_id: str) -> str:
    """The channel one SFU worker reads its commands from."""
    return f"sfu.{worker_id}"


TRANSCRIBE_CHANNEL = "transcribe"  # shared by all transcription workers (competing consumers)

# Redis keys (under settings.REDIS_PREFIX) where SFU workers announce themselves.
SFU_HEARTBEAT_KEY = "sfu:worker:"  # + worker id -> JSON SfuHeartbeat, with a TTL
# ... and where transcription workers do (their absence opens the SFU's captions breaker).
TRANSCRIBER_HEARTBEAT_KEY = "transcriber:worker:"  # + worker id -> JSON TranscriberHeartbeat, with a TTL
