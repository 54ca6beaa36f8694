"""The web served by uvicorn with wsproto (conference.uvicorn_web, WEB_SERVER=uvicorn): the same
checks as under Granian (conference.tests.test_granian_web): chat, the close codes of both
sides, the client address from our proxy only, one pid that serves and a clean SIGTERM."""

from __future__ import annotations

import sys

from conference.testing.processes import WorkerProcess, worker_environment
from conference.testing.redis import free_port
from conference.tests.test_granian_web import GranianWebTestCase
from rooms.tests.test_consumer import ConsumerTestCase
from rooms.tests.test_web_crash import wait_listening


class UvicornWebTestCase(GranianWebTestCase):
    def setUp(self) -> None:
        ConsumerTestCase.setUp(self)
        self.port = free_port()
        env = {**worker_environment(), "TRUSTED_PROXY_HOPS": "1", "WS_FLOOD_CLOSE_AFTER": "5"}
        argv = [sys.executable, "-m", "conference.uvicorn_web", "--port", str(self.port)]
        self.web = WorkerProcess("uvicorn-web", argv, env=env)
        self.web.start()
        self.addCleanup(self.web.stop, 5)
        wait_listening(self.port, 60)


del GranianWebTestCase  # its tests run once, in their own module
