"""Checks on what a client sends the SFU: SDP, ICE candidates, rates. No aiortc internals here."""

from __future__ import annotations

import ipaddress
import re
import time
from typing import Any

from aiortc import RTCRtpReceiver, RTCSessionDescription
from aiortc.sdp import SessionDescription

from sfu.limits import Limits


def is_int(value: object) -> bool:
    """An integer id (bool is an int subclass: not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


class CommandError(Exception):
    """Becomes an ``sfu.error`` reply: ``code`` for programs, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; ``dropped`` counts refusals."""

    __slots__ = ("burst", "dropped", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.dropped = 0

    def take(self, n: float = 1.0) -> bool:
        now = time.monotonic()
        tokens = self.tokens + (now - self.stamp) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        self.stamp = now
        if tokens < n:
            self.tokens = tokens
            self.dropped += 1
            return False
        self.tokens = tokens - n
        return True


# ---------------------------------------------------------------------------- ICE


def candidate_refusal(host: str, *, allow_private: bool) -> str | None:
    """Why a remote candidate address is refused (None: accepted).

    mDNS names (``*.local``) are dropped, never resolved: resolving blocks for up to a second,
    and the browser's connectivity checks reach us anyway (we learn its address from them).
    """
    host = host.strip().lower()
    if host.endswith(".local") or host.endswith(".local."):
        return "mdns"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "not-an-address"  # no DNS lookups on the command path
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "unusable"
    if not allow_private and (address.is_private or address.is_loopback or address.is_link_local):
        return "private"
    return None


def filter_sdp_candidates(sdp: str, limits: Limits, room: int) -> tuple[str, int]:
    """Drop refused ``a=candidate`` lines (and any beyond ``room``); returns (sdp, kept)."""
    if "a=candidate:" not in sdp:
        return sdp, 0
    kept = 0
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split(" ")
            host = parts[4] if len(parts) > 7 else ""
            if kept >= room or candidate_refusal(host, allow_private=limits.allow_private_candidates):
                continue
            kept += 1
        lines.append(line)
    return "\r\n".join(lines) + "\r\n", kept


# ---------------------------------------------------------------------------- SDP


def parse_sdp(message: dict[str, Any], expected: str, limits: Limits) -> tuple[str, SessionDescription]:
    """The SDP text of an offer/answer command, checked cheaply before aiortc parses it."""
    sdp = message.get("sdp")
    if not isinstance(sdp, str) or not sdp.strip():
        raise CommandError("bad-sdp", f"The {expected} is missing its SDP text.")
    if len(sdp) > limits.max_sdp_bytes:
        raise CommandError(
            "sdp-too-large",
            f"The {expected} is too large ({len(sdp)} bytes; the limit is {limits.max_sdp_bytes}).",
        )
    if not sdp.lstrip().startswith("v=0"):
        raise CommandError("bad-sdp", f"The {expected} is not SDP (it must start with 'v=0').")
    sections = sdp.count("\nm=")
    if sections > limits.sdp_sections:
        raise CommandError(
            "sdp-too-many-sections",
            f"The {expected} has {sections} media sections; the limit is {limits.sdp_sections}.",
        )
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:
        raise CommandError("bad-sdp", f"The {expected} SDP could not be parsed: {exc}.") from exc
    if not parsed.media:
        raise CommandError("bad-sdp", f"The {expected} SDP has no media sections.")
    for media in parsed.media:
        if media.kind in ("audio", "video") and (not media.ice.usernameFragment or not media.dtls):
            raise CommandError("bad-sdp", f"The {expected} SDP lacks ICE credentials or a DTLS fingerprint.")
    if expected == "offer":  # what a publisher announces (an answer lists its unused senders too)
        ssrcs = {s.ssrc for media in parsed.media for s in media.ssrc}
        if len(ssrcs) > limits.max_ssrcs_per_connection:
            raise CommandError(
                "bad-sdp",
                f"The offer announces {len(ssrcs)} SSRCs; the limit is {limits.max_ssrcs_per_connection}.",
            )
    return sdp, parsed


def description(sdp: str, kind: str, limits: Limits, room: int) -> tuple[RTCSessionDescription, int]:
    """The remote description handed to aiortc, without candidates we refuse; and how many it keeps."""
    filtered, kept = filter_sdp_candidates(sdp, limits, room)
    return RTCSessionDescription(sdp=filtered, type=kind), kept


def codecs(kind: str) -> list[Any]:
    """VP8 (+RTX) for video, Opus for audio: forwarded payloads must mean the same on both sides."""
    caps = RTCRtpReceiver.getCapabilities("audio" if kind == "audio" else "video").codecs
    if kind == "audio":
        return [c for c in caps if c.mimeType.lower() == "audio/opus"]
    return [c for c in caps if c.mimeType.lower() in ("video/vp8", "video/rtx")]


def announce(sdp: str, ip: str) -> str:
    """Replace host candidate addresses with the announced public IP (SFU behind NAT)."""
    if not ip:
        return sdp

    def candidate(m: re.Match[str]) -> str:
        parts = m.group(0).split(" ")
        if len(parts) > 7 and parts[7] == "host":
            parts[4] = ip
        return " ".join(parts)

    sdp = re.sub(r"a=candidate:[^\r\n]*", candidate, sdp)
    return re.sub(r"c=IN IP4 [^\r\n]*", f"c=IN IP4 {ip}", sdp)
