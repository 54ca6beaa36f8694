"""Log lines: ids from the context, the JSON shape, the request id, and secrets scrubbed."""

from __future__ import annotations

import asyncio
import logging

from django.test import SimpleTestCase

from conference import logs
from conference.testing import BaseTestCase
from conference.testing.observe import Capture
from conference.workers import describe

SDP = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=ice-ufrag:Uf4g\r\na=ice-pwd:pw0rdSecretIcePassword123\r\na=fingerprint:sha-256 AB:CD\r\n"
)


class LogLineTests(SimpleTestCase):
    def test_json_line_carries_level_process_time_and_bound_ids(self) -> None:
        log = logging.getLogger("test.logs")
        with Capture(logger="test.logs") as cap, logs.bound(meeting=3, participant=7, worker="sfu-a"):
            log.info("hello %s", "there")
        (line,) = cap.records()
        self.assertEqual(line["message"], "hello there")
        self.assertEqual((line["level"], line["process"], line["logger"]), ("INFO", "web", "test.logs"))
        self.assertEqual((line["meeting"], line["participant"], line["worker"]), (3, 7, "sfu-a"))
        self.assertRegex(line["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")

    def test_plain_line_shows_ids_briefly(self) -> None:
        log = logging.getLogger("test.logs")
        with Capture("plain", logger="test.logs") as cap, logs.bound(meeting=3, request_id="abc12345"):
            log.warning("plain")
        self.assertEqual(cap.text.strip(), "WARNING web test.logs [r=abc12345 m=3]: plain")

    def test_ids_stay_in_their_task(self) -> None:
        log = logging.getLogger("test.logs")

        async def one(meeting: int) -> None:
            logs.bind(meeting=meeting)
            await asyncio.sleep(0.01)
            log.info("in %s", meeting)

        async def both() -> None:
            await asyncio.gather(one(1), one(2))

        with Capture(logger="test.logs") as cap:
            asyncio.run(both())
            log.info("outside")
        by_message = {r["message"]: r.get("meeting") for r in cap.records()}
        self.assertEqual(by_message, {"in 1": 1, "in 2": 2, "outside": None})

    def test_sdp_ice_credentials_and_passwords_are_scrubbed(self) -> None:
        for fmt in ("json", "plain"):
            with self.subTest(fmt):
                self.check_scrubbed(fmt)

    def check_scrubbed(self, fmt: str) -> None:
        log = logging.getLogger("test.logs")
        with Capture(fmt, logger="test.logs") as cap:
            log.info("offer %s", SDP)
            log.info("message %r", {"type": "sfu.ice", "ice-pwd": "pw0rdSecretIcePassword123"})
            log.info("login password=hunter2hunter2 and token: tok3nvalue")
            try:
                raise ValueError(SDP)
            except ValueError:
                log.exception("failed")
        for secret in ("pw0rdSecretIcePassword123", "Uf4g", "hunter2hunter2", "tok3nvalue", "fingerprint"):
            self.assertNotIn(secret, cap.text)
        self.assertIn("ValueError", cap.text)  # the traceback is kept, its SDP is not
        if fmt == "json":
            self.assertEqual(len(cap.records()), 4)

    def test_tokens_in_link_paths_are_scrubbed_file_paths_kept(self) -> None:
        self.assertEqual(
            logs.redact("Internal Server Error: /rooms/standup-k3x9abcdefghij/ and /invitations/Zq9-tok/"),
            "Internal Server Error: /rooms/<token>/ and /invitations/<token>/",
        )
        self.assertEqual(logs.redact('File "/srv/meet/rooms/views.py"'), 'File "/srv/meet/rooms/views.py"')

    def test_describe_leaves_sdp_and_words_out(self) -> None:
        text = describe({"type": "sfu.publish_offer", "participant": 4, "sdp": SDP, "text": "private words"})
        self.assertIn("'participant': 4", text)
        self.assertNotIn("ice-pwd", text)
        self.assertNotIn("private words", text)

    def test_process_kind_from_the_command_line(self) -> None:
        cases = {
            ("manage.py", "runsfu"): "sfu",
            ("manage.py", "runtranscriber"): "transcriber",
            ("/venv/bin/celery", "-A", "conference", "worker"): "celery",
            ("/venv/bin/celery", "-A", "conference", "beat"): "beat",
            ("/venv/lib/daphne/__main__.py", "conference.asgi:application"): "web",
            ("/app/conference/granian_web.py", "--port", "8000"): "web",
            ("/app/conference/uvicorn_web.py", "--port", "8000"): "web",
        }
        for argv, kind in cases.items():
            self.assertEqual(logs.process_kind(list(argv)), kind, argv)


class RequestIdTests(BaseTestCase):
    def test_a_request_id_is_made_returned_and_logged(self) -> None:
        with Capture(logger="conference.access") as cap:
            response = self.client.get("/accounts/login/")
        request_id = response["X-Request-ID"]
        self.assertRegex(request_id, r"^[0-9a-f]{16}$")
        (line,) = cap.records()
        self.assertEqual(line["request_id"], request_id)
        self.assertEqual(line["status"], 200)
        self.assertIn("GET accounts/login/ 200", line["message"])

    def test_the_callers_request_id_is_honoured_and_bad_ones_replaced(self) -> None:
        response = self.client.get("/accounts/login/", headers={"X-Request-ID": "lb-0123456789abcdef"})
        self.assertEqual(response["X-Request-ID"], "lb-0123456789abcdef")
        response = self.client.get("/accounts/login/", headers={"X-Request-ID": "bad id\n<script>"})
        self.assertRegex(response["X-Request-ID"], r"^[0-9a-f]{16}$")

    def test_the_access_line_names_the_route_not_the_tokened_path(self) -> None:
        self.client.force_login(self.alice)
        with Capture(logger="conference.access") as cap:
            self.client.get(self.room.get_absolute_url())
        self.assertNotIn(self.room.slug, cap.text)
        self.assertIn("<slug:slug>", cap.text)
