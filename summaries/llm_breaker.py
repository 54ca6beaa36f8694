"""The circuit breaker around the summary model (conference.breakers ``llm``, pybreaker; one per
Celery worker process).

Failures: the model file does not load, the model raises, or it runs into the task's soft time
limit. While the breaker is open the model is not tried at all: the summary is the deterministic
extractor's alone, marked ``model_deferred`` (the page says the AI summary will be made later),
and the beat task ``summaries.tasks.redo_deferred_summaries`` runs the model on those summaries
again; its first try after BREAKER_LLM_RESET_SECONDS is the probe that closes the breaker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import pybreaker

from conference.breakers import sync_breaker
from summaries import metrics

T = TypeVar("T")
log = logging.getLogger(__name__)


def breaker() -> pybreaker.CircuitBreaker:
    return sync_breaker("llm")


def guarded(call: Callable[[], T]) -> T | None:
    """``call()`` under the breaker; None when the breaker refused it or it failed (counted)."""
    try:
        return breaker().call(call)
    except pybreaker.CircuitBreakerError:
        return None  # open: not even tried
    except Exception as exc:  # SoftTimeLimitExceeded too: the extractor's result is kept instead
        log.warning("Summary model failed (%s: %s); the extractor's summary stands", type(exc).__name__, exc)
        metrics.SUMMARY_FAILURES.labels("model").inc()
        return None
