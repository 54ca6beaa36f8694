"""conference.daphne_hooks: autobahn's eager debug formatting made lazy, without changing output;
the handshake request let go once a socket is open."""

from __future__ import annotations

import inspect
import re
from types import SimpleNamespace

from autobahn.twisted import websocket as tx_websocket
from autobahn.websocket import protocol as ws_protocol
from daphne import ws_protocol as daphne_ws
from django.test import SimpleTestCase

from conference import daphne_hooks

NAMES = ("pformat", "hltype", "hlval")


class DaphneHooksTestCase(SimpleTestCase):
    def setUp(self) -> None:
        daphne_hooks.install()  # (conference.asgi does it in the web process)

    def test_autobahn_uses_the_patched_names_only_as_log_arguments(self) -> None:
        # A new autobahn that used them to build strings would break with lazy values: say so.
        for module in (ws_protocol, tx_websocket):
            source = inspect.getsource(module)
            for name in NAMES:
                for match in re.finditer(rf"(?<![\w.]){name}\(", source):
                    before = source[max(0, match.start() - 1) : match.start()]
                    line = source[: match.start()].count("\n") + 1
                    allowed = before == "=" or (
                        name == "pformat" and "self._timings" in source[match.end() :][:20]
                    )
                    self.assertTrue(allowed, f"{module.__name__}:{line} uses {name}() outside a log argument")

    def test_lazy_values_format_as_the_real_functions_would(self) -> None:
        config = [("openHandshakeTimeout", 5, "WebSocketServerFactory")]
        self.assertEqual(f"{ws_protocol.pformat(config)}", daphne_hooks._real["pformat"](config))
        self.assertEqual(str(ws_protocol.hlval(42)), daphne_hooks._real["hlval"](42))
        self.assertEqual(f"{ws_protocol.hltype(self.setUp)}", daphne_hooks._real["hltype"](self.setUp))

    def test_timings_still_print(self) -> None:
        timings = ws_protocol.Timings()
        timings.track("onOpen")
        self.assertIn("onOpen", str(timings))

    def test_daphne_reads_only_the_path_of_its_request_after_the_handshake(self) -> None:
        # forget_handshake keeps only request.path: a Daphne that read more would break; say so.
        source = inspect.getsource(daphne_ws.WebSocketProtocol)
        uses = re.findall(r"self\.request\b(\.\w+)?", source)
        self.assertEqual({u for u in uses if u} - {".path"}, set(), uses)
        on_connect = inspect.getsource(daphne_ws.WebSocketProtocol.onConnect)
        self.assertEqual(uses.count(""), on_connect.count("self.request ="))  # only assigned there

    def test_an_open_socket_forgets_its_handshake_but_the_path(self) -> None:
        protocol = SimpleNamespace(
            request=SimpleNamespace(path=b"/ws/rooms/r/", requestHeaders=object()),
            http_request_data=b"GET /ws/rooms/r/ HTTP/1.1\r\nCookie: sessionid=abc\r\n\r\n",
            http_headers={"cookie": "sessionid=abc"},
            http_request_params={"token": ["t"]},
        )
        daphne_hooks.forget_handshake(protocol)
        self.assertEqual(protocol.request.path, b"/ws/rooms/r/")
        self.assertFalse(hasattr(protocol.request, "requestHeaders"))
        self.assertEqual((protocol.http_request_data, protocol.http_headers), (b"", {}))
        self.assertEqual(protocol.http_request_params, {})
        self.assertEqual(daphne_ws.WebSocketProtocol.onOpen.__name__, "on_open")  # installed
