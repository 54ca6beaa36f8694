"""Time-limited TURN credentials (the "TURN REST API" scheme coturn checks with use-auth-secret).

username = "<unix expiry>:<who>", password = base64(HMAC-SHA1(static-auth-secret, username)).
coturn recomputes the password from its shared secret and refuses a username whose expiry has
passed, so the web hands out credentials without any state shared with the TURN server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings


def credentials(*, secret: str, who: str, ttl: int, now: float | None = None) -> tuple[str, str]:
    """(username, password) valid for ``ttl`` seconds from ``now``."""
    expiry = int(time.time() if now is None else now) + ttl
    username = f"{expiry}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(*, who: str) -> list[dict[str, Any]]:
    """SFU_ICE_SERVERS plus, when TURN is configured, a TURN entry with fresh credentials.

    ``who`` names the holder in coturn's logs (a participant or user id, never a name or e-mail).
    """
    servers = list(settings.SFU_ICE_SERVERS)
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, password = credentials(
            secret=settings.TURN_SECRET, who=who, ttl=settings.TURN_CREDENTIAL_TTL
        )
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": password})
    return servers
