"""Validation of browser messages against the shapes in conference.protocol."""

from __future__ import annotations

import json
from typing import Any

from conference.protocol.client import REACTIONS


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Field name -> (accepted types, required). Unknown fields are refused, so typos surface.
_STR = (str,)
_BOOL = (bool,)
SCHEMAS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "join": {"resume": (_STR, False)},
    "ask-unmute": {},
    "publish-offer": {"sdp": (_STR, True)},
    "subscribe-answer": {"sdp": (_STR, True)},
    "ice": {"pc": (_STR, True), "candidate": ((dict, type(None)), True)},
    "chat": {"text": (_STR, True)},
    "media-state": {"audio": (_BOOL, True), "video": (_BOOL, True), "screen": (_BOOL, True)},
    "moderate": {"action": (_STR, True), "participant": ((int,), False)},
    "keyframe": {"participant": ((int,), True)},
    "visible": {"participants": ((list,), True)},
    "leave": {},
    "media-restart-request": {},
    "hand": {"raised": (_BOOL, True), "participant": ((int,), False)},
    "reaction": {"emoji": (_STR, True)},
}
MODERATE_ACTIONS = ("mute", "allow-unmute", "remove", "readmit", "lock", "unlock", "admit", "deny")
TARGETED_ACTIONS = ("mute", "allow-unmute", "remove", "readmit", "admit", "deny")  # need a 'participant'
MAX_RESUME_TOKEN = 64
MAX_VISIBLE = 100  # ids in one "visible" (more than any meeting's participants)


def parse_client_message(text: str) -> dict[str, Any]:
    """Parse and validate one text frame; raise ProtocolError naming what is wrong."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad-json", "The message is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid", "A message must be a JSON object with a 'type'.")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("invalid", "The message has no 'type'.")
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ProtocolError("unknown-type", f"Unknown message type '{kind[:40]}'.")
    for name in data:
        if name != "type" and name not in schema:
            raise ProtocolError("invalid", f"'{kind}' has no field '{str(name)[:40]}'.")
    for name, (types, required) in schema.items():
        if name not in data:
            if required:
                raise ProtocolError("invalid", f"'{kind}' needs the field '{name}'.")
            continue
        value = data[name]
        # bool is an int subclass: keep ids strict.
        if not isinstance(value, types) or (types == (int,) and isinstance(value, bool)):
            raise ProtocolError("invalid", f"'{kind}.{name}' has the wrong type.")
    if kind in ("publish-offer", "subscribe-answer") and not data["sdp"].startswith("v=0"):
        raise ProtocolError("bad-sdp", "The session description is not valid SDP.")
    if kind == "ice":
        if data["pc"] not in ("publish", "subscribe"):
            raise ProtocolError("invalid", "'ice.pc' must be 'publish' or 'subscribe'.")
        cand = data["candidate"]
        if cand is not None:
            if not isinstance(cand.get("candidate"), str):
                raise ProtocolError("invalid", "'ice.candidate.candidate' must be a string.")
            mid, index = cand.get("sdpMid"), cand.get("sdpMLineIndex")
            if (
                mid is not None
                and not isinstance(mid, str)
                or index is not None
                and not isinstance(index, int)
            ):
                raise ProtocolError("invalid", "'ice.candidate' has a bad sdpMid or sdpMLineIndex.")
            data["candidate"] = {"candidate": cand["candidate"], "sdpMid": mid, "sdpMLineIndex": index}
    if kind == "join" and len(data.get("resume", "")) > MAX_RESUME_TOKEN:
        raise ProtocolError("invalid", "'join.resume' is not a resume token.")
    if kind == "visible":
        ids = data["participants"]
        if len(ids) > MAX_VISIBLE or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ProtocolError(
                "invalid", f"'visible.participants' must be at most {MAX_VISIBLE} participant ids."
            )
        data["participants"] = sorted(set(ids))
    if kind == "moderate":
        if data["action"] not in MODERATE_ACTIONS:
            raise ProtocolError("invalid", f"'moderate.action' must be one of {', '.join(MODERATE_ACTIONS)}.")
        if data["action"] in TARGETED_ACTIONS and "participant" not in data:
            raise ProtocolError("invalid", f"'{data['action']}' needs the field 'participant'.")
    if kind == "reaction" and data["emoji"] not in REACTIONS:
        raise ProtocolError("invalid", f"'reaction.emoji' must be one of {' '.join(REACTIONS)}.")
    return data


class TokenBucket:
    """Per-connection message rate: ``rate`` per second, bursts up to ``burst``."""

    __slots__ = ("rate", "burst", "tokens", "stamp")  # one per connection: no __dict__

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
