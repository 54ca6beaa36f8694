"""The room page's config: what static/js/room.js is told about the server."""

from __future__ import annotations

import json

from django.test import override_settings

from conference import protocol
from conference.testing import BaseTestCase


class RoomPageConfigTestCase(BaseTestCase):
    def config(self) -> dict:
        self.client.force_login(self.bob)
        response = self.client.get(self.room.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        # What the page's script reads: the json_script element, not the view's context.
        html = response.content.decode()
        start = html.index('<script id="room-config" type="application/json">') + len(
            '<script id="room-config" type="application/json">'
        )
        return json.loads(html[start : html.index("</script>", start)])

    def test_production_page_has_no_test_hooks(self) -> None:
        self.assertIs(self.config()["testHooks"], False)

    @override_settings(CLIENT_TEST_HOOKS=True)
    def test_test_hooks_follow_the_setting(self) -> None:
        self.assertIs(self.config()["testHooks"], True)

    def test_close_codes_come_from_the_protocol(self) -> None:
        config = self.config()["protocol"]
        self.assertEqual(config["closeReasons"][str(protocol.CLOSE_LOCKED)], protocol.CLOSE_REASONS[4005])
        self.assertIn("unlock", config["closeReasons"]["4005"])
        self.assertEqual(
            sorted(config["finalCloseCodes"]), [4003, 4004, 4005, 4006, 4008, 4012, 4013, 4015]
        )  # 4010 (server restarting), 4014 (server error): the page reconnects and resumes
        self.assertNotIn(protocol.CLOSE_SERVER_SHUTDOWN, config["finalCloseCodes"])

    @override_settings(WS_MAX_MESSAGE_BYTES=1234)
    def test_message_limit_comes_from_settings(self) -> None:
        self.assertEqual(self.config()["protocol"]["maxMessageBytes"], 1234)
