"""conference.daphne_hooks: autobahn's eager debug formatting made lazy, without changing output."""

from __future__ import annotations

import inspect
import re

from autobahn.twisted import websocket as tx_websocket
from autobahn.websocket import protocol as ws_protocol
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
