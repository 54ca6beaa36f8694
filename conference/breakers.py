"""Circuit breakers: one per protected dependency and process, configured by settings, logged
when they open and close.

- ``async_breaker(name)`` (purgatory) guards awaited calls on an event loop (web, SFU)::

      async with async_breaker("sfu").guard():
          ...  # an exception (or a timeout the caller raises) counts as a failure

  When open, ``guard()`` raises ``BreakerOpen`` at once; after the reset time the next call is
  the half-open probe: its success closes the breaker, its failure opens it again.
- ``sync_breaker(name)`` (pybreaker) guards blocking calls (Celery): ``breaker.call(fn, ...)``.

Settings per name: ``BREAKER_<NAME>_FAILURES`` (failures in a row that open it) and
``BREAKER_<NAME>_RESET_SECONDS`` (how long it stays open before a probe). Names in use: ``sfu``
(placement and commands, rooms.consumer_media), ``captions`` (the transcription queue,
transcripts.captions_breaker), ``llm`` (the summary model, summaries.llm_breaker).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import pybreaker
from django.conf import settings
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState as BreakerOpen

__all__ = ["BreakerOpen", "AsyncBreaker", "async_breaker", "sync_breaker", "reset_breakers"]

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "opened", "half-opened"  # purgatory's state names


def _limits(name: str) -> tuple[int, float]:
    key = name.upper()
    return (
        int(getattr(settings, f"BREAKER_{key}_FAILURES")),
        float(getattr(settings, f"BREAKER_{key}_RESET_SECONDS")),
    )


class AsyncBreaker:
    """A purgatory breaker with its state readable without a call (``is_open``) and callbacks on
    each change (``on_change(state)``: the SFU tells the meetings when captions go and come)."""

    def __init__(self, name: str, failures: int, reset_seconds: float) -> None:
        self.name = name
        self.failures = failures
        self.reset_seconds = reset_seconds
        self.state = CLOSED
        self.opened_at = 0.0  # time.monotonic() of the last opening
        self._factory = AsyncCircuitBreakerFactory(default_threshold=failures, default_ttl=reset_seconds)
        self._factory.add_listener(self._event)
        self._callbacks: list[Callable[[str], None]] = []

    @property
    def is_open(self) -> bool:
        """Open (or probing): calls now would be refused, or be the probe."""
        return self.state != CLOSED

    def seconds_until_probe(self) -> float:
        """How long until the next call may be the probe (0 when closed or due)."""
        if self.state == CLOSED:
            return 0.0
        return max(0.0, self.opened_at + self.reset_seconds - time.monotonic())

    def on_change(self, callback: Callable[[str], None]) -> None:
        self._callbacks.append(callback)

    @contextlib.asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        breaker = await self._factory.get_breaker(self.name)
        async with breaker:
            yield

    def _event(self, name: str, kind: str, event: object) -> None:
        if kind != "state_changed":
            return
        state = str(getattr(event, "state", ""))
        if state == self.state:
            return
        previous, self.state = self.state, state
        if state == OPEN:
            self.opened_at = time.monotonic()
            why = "the probe failed" if previous == HALF_OPEN else f"{self.failures} failures in a row"
            logger.warning(
                "Circuit breaker %s opened (%s); next try in %.0f s", name, why, self.reset_seconds
            )
        elif state == CLOSED:
            logger.warning("Circuit breaker %s closed: the probe succeeded", name)
        else:
            logger.info("Circuit breaker %s half-open: probing", name)
        for callback in list(self._callbacks):
            try:
                callback(state)
            except Exception:  # a listener's bug must not break the guarded call
                logger.exception("Circuit breaker %s listener failed", name)


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            probing = old_state is not None and old_state.name == pybreaker.STATE_HALF_OPEN
            why = "the probe failed" if probing else f"{cb.fail_max} failures in a row"
            logger.warning(
                "Circuit breaker %s opened (%s); next try in %.0f s", cb.name, why, cb.reset_timeout
            )
        elif new_state.name == pybreaker.STATE_CLOSED:
            logger.warning("Circuit breaker %s closed: the probe succeeded", cb.name)
        else:
            logger.info("Circuit breaker %s half-open: probing", cb.name)


# One breaker per name and process (each process learns on its own; none waits on another).
_async: dict[str, AsyncBreaker] = {}
_sync: dict[str, pybreaker.CircuitBreaker] = {}


def async_breaker(name: str) -> AsyncBreaker:
    breaker = _async.get(name)
    if breaker is None:
        breaker = _async[name] = AsyncBreaker(name, *_limits(name))
    return breaker


def sync_breaker(name: str) -> pybreaker.CircuitBreaker:
    breaker = _sync.get(name)
    if breaker is None:
        failures, reset = _limits(name)
        breaker = _sync[name] = pybreaker.CircuitBreaker(
            fail_max=failures,
            reset_timeout=reset,
            name=name,
            listeners=[_LogListener()],
            throw_new_error_on_trip=False,  # the call's own error goes on (the caller says why)
        )
    return breaker


def reset_breakers() -> None:
    """Forget every breaker (tests: each starts closed, with the settings then in force)."""
    _async.clear()
    _sync.clear()
