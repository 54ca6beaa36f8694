"""Test support shared by every app's tests and by ``bench/``.

base       BaseTestCase / BaseTransactionTestCase / NamedUsersMixin (alice, bob, charlie), make_users
processes  WorkerProcess: a worker subprocess (runsfu, runtranscriber, celery) with bounded waits
browser    BrowserTestCase: Daphne + runsfu + headless Chromium
peers      aiortc peers speaking the sfu.* protocol
audio      WAV reading, Opus packets, silence and noise

The names below are loaded on first use, so that ``processes``, ``audio`` and ``peers`` can be
imported before Django is set up (the bench scripts do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conference.testing.base import BaseTestCase, make_users, reset_channel_layers

__all__ = ["BaseTestCase", "make_users", "reset_channel_layers"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from conference.testing import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
