"""The web side's circuit breaker around the SFU (conference.breakers ``sfu``): reading the
workers' heartbeats to place a meeting, and sending commands to a worker's channel.

A failure is an exception (Redis refused or lost) or a call slower than
BREAKER_SFU_TIMEOUT_SECONDS (Redis stalled). While the breaker is open, joins answer at once
without media (``BREAKER_OPEN``) and the page retries when the breaker is due to probe. A full
worker channel is not a failure: it is one worker's backlog, answered by its own message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from channels.exceptions import ChannelFull
from django.conf import settings

from conference.breakers import AsyncBreaker, BreakerOpen, async_breaker

T = TypeVar("T")
log = logging.getLogger(__name__)

BREAKER_OPEN = "Audio and video are unavailable right now; chat works. They come back by themselves."


class MediaBreakerOpen(Exception):
    """The call was refused or failed under the breaker; ``retry_after``: when to try again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(BREAKER_OPEN)
        self.retry_after = retry_after


def breaker() -> AsyncBreaker:
    return async_breaker("sfu")


def retry_after() -> float:
    """Seconds until the breaker probes; at least 1 so a page does not retry in a tight loop."""
    return max(1.0, breaker().seconds_until_probe())


async def guarded(call: Callable[[], Awaitable[T]]) -> T:
    """``call()`` under the breaker and its time bound; MediaBreakerOpen when it is refused or
    fails for a reason the breaker counts (ChannelFull passes through, uncounted)."""
    try:
        async with breaker().guard():
            try:
                return await asyncio.wait_for(call(), settings.BREAKER_SFU_TIMEOUT_SECONDS)
            except ChannelFull as exc:
                full = exc  # not the breaker's business: left out of the count below
        raise full
    except ChannelFull:
        raise
    except BreakerOpen as exc:
        raise MediaBreakerOpen(retry_after()) from exc
    except Exception as exc:  # Redis refused, lost or stalled (timeout): counted by the breaker
        log.warning("SFU call failed (%s: %s)", type(exc).__name__, exc)
        raise MediaBreakerOpen(retry_after()) from exc
