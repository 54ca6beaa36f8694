"""Room consumer -> browser: the WebSocket close codes, the words the page shows for them, and
the protocol facts the room page receives (``client_config``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

__all__ = [
    "CLOSE_DENIED",
    "CLOSE_NOT_ALLOWED",
    "CLOSE_NOT_FOUND",
    "CLOSE_LOCKED",
    "CLOSE_REMOVED",
    "CLOSE_FLOOD",
    "CLOSE_SERVER_SHUTDOWN",
    "CLOSE_MEDIA_LOST",
    "CLOSE_TAKEN_OVER",
    "CLOSE_ROOM_FULL",
    "CLOSE_SERVER_ERROR",
    "CLOSE_REASONS",
    "FINAL_CLOSE_CODES",
    "client_config",
]

CLOSE_NOT_ALLOWED = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_LOCKED = 4005
CLOSE_REMOVED = 4006
CLOSE_FLOOD = 4008
CLOSE_SERVER_SHUTDOWN = 4010
CLOSE_MEDIA_LOST = 4011  # the SFU saw the browser's media connection fail (ICE consent expired)
CLOSE_TAKEN_OVER = 4012  # the same person's newer connection (another tab or device) took the place
CLOSE_ROOM_FULL = 4013
CLOSE_SERVER_ERROR = 4014  # an unexpected error on the server: reconnecting resumes the place
CLOSE_DENIED = 4015  # a host did not let this person in from the waiting room (final for the meeting)

# What the page tells a person when the socket closes with a code.
CLOSE_REASONS: dict[int, str] = {
    CLOSE_NOT_ALLOWED: "You are not allowed to join this room.",
    CLOSE_NOT_FOUND: "This room does not exist, or you are not allowed to join it.",
    CLOSE_LOCKED: "The room is locked. Ask the host to unlock it, then try again.",
    CLOSE_REMOVED: "The host removed you from the meeting. Only a host can let you back in.",
    CLOSE_FLOOD: "Too many messages were sent too quickly, so the server closed the connection.",
    CLOSE_SERVER_SHUTDOWN: "The server is restarting.",
    CLOSE_MEDIA_LOST: "The media connection was lost.",
    CLOSE_TAKEN_OVER: "You joined this meeting from another tab or device, so you left it here.",
    CLOSE_ROOM_FULL: "The room is full. Try again when someone leaves.",
    CLOSE_SERVER_ERROR: "Something went wrong on the server.",
    CLOSE_DENIED: "The host did not let you in to this meeting.",
}

# Codes after which the page reconnecting on its own would be wrong or pointless.
FINAL_CLOSE_CODES: tuple[int, ...] = (
    CLOSE_NOT_ALLOWED,
    CLOSE_NOT_FOUND,
    CLOSE_LOCKED,
    CLOSE_REMOVED,
    CLOSE_FLOOD,
    CLOSE_TAKEN_OVER,
    CLOSE_ROOM_FULL,
    CLOSE_DENIED,
)


def client_config() -> dict[str, Any]:
    """The protocol facts the room page needs (its config's ``protocol`` key)."""
    return {
        "closeReasons": {str(code): words for code, words in CLOSE_REASONS.items()},
        "finalCloseCodes": list(FINAL_CLOSE_CODES),
        "maxMessageBytes": settings.WS_MAX_MESSAGE_BYTES,
    }
