"""TURN: time-limited credentials (conference/turn.py) checked by a real coturn on loopback, and
the production template (deploy/turnserver.conf) refusing to relay into private ranges."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from pathlib import Path

from aioice.stun import TransactionFailed
from django.conf import settings
from django.test import SimpleTestCase, override_settings

from conference import turn
from conference.testing.turn import Coturn, TurnClient, error_code

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "turnserver.conf"


class CredentialTests(SimpleTestCase):
    def test_username_is_expiry_and_who_and_password_the_hmac_of_it(self) -> None:
        username, password = turn.credentials(secret="s3cret", who="participant-7", ttl=600, now=1_000_000)
        self.assertEqual(username, "1000600:participant-7")
        expected = hmac.new(b"s3cret", b"1000600:participant-7", hashlib.sha1).digest()
        self.assertEqual(base64.b64decode(password), expected)

    @override_settings(SFU_ICE_SERVERS=[{"urls": "stun:stun.example.com"}], TURN_URLS=[], TURN_SECRET="x")
    def test_no_turn_entry_without_urls(self) -> None:
        self.assertEqual(turn.ice_servers(who="p"), [{"urls": "stun:stun.example.com"}])

    @override_settings(
        SFU_ICE_SERVERS=[], TURN_URLS=["turn:t.example.com:3478"], TURN_SECRET="x", TURN_CREDENTIAL_TTL=60
    )
    def test_a_turn_entry_with_fresh_credentials(self) -> None:
        [entry] = turn.ice_servers(who="participant-3")
        self.assertEqual(entry["urls"], ["turn:t.example.com:3478"])
        expiry, who = entry["username"].split(":")
        self.assertEqual(who, "participant-3")
        self.assertAlmostEqual(int(expiry), time.time() + 60, delta=5)


class CoturnTests(SimpleTestCase):
    """Against Debian's coturn with use-auth-secret, on 127.0.0.1."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.coturn = Coturn().start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.coturn.stop()
        super().tearDownClass()

    def server(self) -> tuple[str, int]:
        return ("127.0.0.1", self.coturn.port)

    async def refused(self, username: str, password: str) -> int:
        with self.assertRaises(TransactionFailed) as caught:
            client = await TurnClient.allocate(self.server(), username, password)
            await client.close()
        return error_code(caught.exception)

    async def test_fresh_credentials_allocate_a_relay(self) -> None:
        client = await TurnClient.allocate(self.server(), *self.coturn.credentials(ttl=60))
        try:
            self.assertIsNotNone(client.relayed)
            self.assertEqual(client.relayed[0], "127.0.0.1")
        finally:
            await client.close()

    async def test_expired_credentials_are_refused(self) -> None:
        username, password = self.coturn.credentials(ttl=60, now=time.time() - 120)  # expired a minute ago
        self.assertEqual(await self.refused(username, password), 401)

    async def test_credentials_stop_working_when_their_time_is_up(self) -> None:
        username, password = self.coturn.credentials(ttl=2)
        client = await TurnClient.allocate(self.server(), username, password)
        await client.close()
        await asyncio.sleep(3.2)
        self.assertEqual(await self.refused(username, password), 401)

    async def test_a_forged_password_is_refused(self) -> None:
        username, _ = self.coturn.credentials(ttl=60)
        forged = turn.credentials(secret="not-the-secret", who="test", ttl=60)[1]
        self.assertEqual(await self.refused(username, forged), 401)

    async def test_a_longer_expiry_cannot_be_written_in(self) -> None:
        username, password = self.coturn.credentials(ttl=60)
        later = f"{int(username.split(':')[0]) + 86400}:test"
        self.assertEqual(await self.refused(later, password), 401)


class TemplateTests(SimpleTestCase):
    """deploy/turnserver.conf (listening and secrets replaced for loopback) denies private peers."""

    async def test_relaying_into_private_ranges_is_refused(self) -> None:
        coturn = await asyncio.to_thread(lambda: Coturn(base=TEMPLATE, loopback_peers=False).start())
        try:
            client = await TurnClient.allocate(("127.0.0.1", coturn.port), *coturn.credentials())
            try:
                for peer in ("10.1.2.3", "192.168.1.1", "172.16.0.1", "127.0.0.1", "169.254.169.254"):
                    with self.subTest(peer=peer), self.assertRaises(TransactionFailed) as caught:
                        await client.bind_channel((peer, 5000))
                    self.assertEqual(error_code(caught.exception), 403, peer)
                await client.bind_channel(("8.8.8.8", 5000))  # a public address is allowed (nothing is sent)
            finally:
                await client.close()
        finally:
            await asyncio.to_thread(coturn.stop)

    def test_the_template_uses_time_limited_credentials(self) -> None:
        lines = {line.strip() for line in TEMPLATE.read_text().splitlines()}
        self.assertIn("use-auth-secret", lines)
        self.assertNotIn("allow-loopback-peers", lines)
        self.assertIn("denied-peer-ip=10.0.0.0-10.255.255.255", lines)
