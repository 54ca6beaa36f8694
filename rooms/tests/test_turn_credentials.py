"""`joined` hands each participant TURN credentials of its own (conference/turn.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from channels.db import database_sync_to_async
from django.test import override_settings

from rooms.tests.test_consumer import ConsumerTestCase, closing

TURN = {"TURN_URLS": ["turn:turn.example.com:3478"], "TURN_SECRET": "s3cret", "TURN_CREDENTIAL_TTL": 300}


@override_settings(SFU_ICE_SERVERS=[{"urls": "stun:stun.example.com"}], **TURN)
class TurnCredentialsInJoinedTests(ConsumerTestCase):
    @closing
    async def test_each_participant_gets_its_own_short_lived_credentials(self) -> None:
        cookie = database_sync_to_async(self.cookie_for)
        _c1, joined_alice = await self.joined(await cookie(self.alice))
        _c2, joined_bob = await self.joined(await cookie(self.bob))
        entries = []
        for joined in (joined_alice, joined_bob):
            stun, entry = joined["ice_servers"]
            self.assertEqual(stun, {"urls": "stun:stun.example.com"})
            self.assertEqual(entry["urls"], ["turn:turn.example.com:3478"])
            expiry, who = entry["username"].split(":")
            self.assertAlmostEqual(int(expiry), time.time() + 300, delta=10)
            self.assertEqual(
                who, f"participant-{joined['participant']['id']}"
            )  # an id, never a name or e-mail
            digest = hmac.new(b"s3cret", entry["username"].encode(), hashlib.sha1).digest()
            self.assertEqual(entry["credential"], base64.b64encode(digest).decode())
            entries.append(entry["username"])
        self.assertNotEqual(entries[0], entries[1])
