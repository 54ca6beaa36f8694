"""Per-connection costs of Daphne's WebSocket stack (autobahn 26.x internals, in this one place).

autobahn computes some debug-log arguments whatever the log level: every new connection
pretty-prints its ~30 configuration attributes, and every read and write highlights type names
and values for a debug line (click styles). In a profile of WebSocket handshakes that was the
largest single cost after the sockets themselves. Lazy stand-ins format only when a debug line
is actually written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autobahn.twisted import websocket as tx_websocket
from autobahn.websocket import protocol as ws_protocol

_real: dict[str, Callable[..., str]] = {}


class Lazy:
    """Formats as ``fn(*args)``, computed only when a log line is written."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., str], *args: Any) -> None:
        self.fn, self.args = fn, args

    def __str__(self) -> str:
        return self.fn(*self.args)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _lazy(name: str) -> Callable[..., Lazy]:
    real = _real[name]
    return lambda *args: Lazy(real, *args)


def install() -> None:
    """Idempotent; autobahn's modules use these names only as log arguments (checked in tests),
    except Timings.__str__, which keeps the real pformat."""
    if _real:
        return
    _real.update(pformat=ws_protocol.pformat, hltype=ws_protocol.hltype, hlval=ws_protocol.hlval)
    real_pformat = _real["pformat"]
    ws_protocol.Timings.__str__ = lambda self: real_pformat(self._timings)  # type: ignore[method-assign]
    for module in (ws_protocol, tx_websocket):
        for name in ("pformat", "hltype", "hlval"):
            if hasattr(module, name):
                setattr(module, name, _lazy(name))
