"""Per-connection costs of Daphne's WebSocket stack (autobahn 26.x internals, in this one place).

autobahn computes some debug-log arguments whatever the log level: every new connection
pretty-prints its ~30 configuration attributes, and every read and write highlights type names
and values for a debug line (click styles). In a profile of WebSocket handshakes that was the
largest single cost after the sockets themselves. Lazy stand-ins format only when a debug line
is actually written.

Once a WebSocket is open, Daphne keeps its whole handshake request (Twisted's Request with every
header) and autobahn its raw bytes, parsed headers and query: ~4 kB a connection that nothing
reads again except the path, for Daphne's access lines. ``forget_handshake`` lets them go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autobahn.twisted import websocket as tx_websocket
from autobahn.websocket import protocol as ws_protocol
from daphne import ws_protocol as daphne_ws

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


class HandshakePath:
    """What Daphne still reads of its handshake request once the socket is open."""

    __slots__ = ("path",)

    def __init__(self, path: bytes) -> None:
        self.path = path


def forget_handshake(protocol: Any) -> None:
    protocol.request = HandshakePath(protocol.request.path)
    protocol.http_request_data = b""
    protocol.http_headers = {}
    protocol.http_request_params = {}


def _on_open_then_forget(real: Callable[[Any], None]) -> Callable[[Any], None]:
    def on_open(self: Any) -> None:
        real(self)
        forget_handshake(self)

    return on_open


def install() -> None:
    """Idempotent; autobahn's modules use these names only as log arguments (checked in tests),
    except Timings.__str__, which keeps the real pformat."""
    if _real:
        return
    _real.update(pformat=ws_protocol.pformat, hltype=ws_protocol.hltype, hlval=ws_protocol.hlval)
    daphne_ws.WebSocketProtocol.onOpen = _on_open_then_forget(daphne_ws.WebSocketProtocol.onOpen)  # type: ignore[method-assign]
    real_pformat = _real["pformat"]
    ws_protocol.Timings.__str__ = lambda self: real_pformat(self._timings)  # type: ignore[method-assign]
    for module in (ws_protocol, tx_websocket):
        for name in ("pformat", "hltype", "hlval"):
            if hasattr(module, name):
                setattr(module, name, _lazy(name))
