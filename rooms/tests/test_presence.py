"""Presence that matches reality: the reaper, resuming one's own participant, a second tab taking
over, and errors mid-join and mid-leave (real Redis, real PostgreSQL faults) leaving no ghost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from conference import protocol
from conference.testing import reset_channel_layers
from conference.testing.redis import RedisServer
from rooms import presence, services
from rooms.models import Meeting, Participant
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing
from sfu import heartbeat, placement

FAST = {"PRESENCE_BEAT_SECONDS": 0.3, "PRESENCE_TTL_SECONDS": 1.0}


class PresenceCase(ConsumerTestCase):
    async def join(self, user: Any, resume: str = "") -> tuple[WebsocketCommunicator, dict[str, Any]]:
        cookie = await database_sync_to_async(self.cookie_for)(user)
        c = self.communicator(cookie)
        self.assertTrue((await c.connect(timeout=TIMEOUT))[0])
        await c.send_to(text_data=json.dumps(protocol.client_join(resume=resume)))
        return c, await self.receive_type(c, "joined")

    async def reap_until_some(self, timeout: float = 10) -> list[int]:
        """Run the reaper (as Celery beat would, each beat) until it ends someone; its answer."""
        reaped: list[int] = []
        deadline = time.monotonic() + timeout
        while not reaped and time.monotonic() < deadline:
            await asyncio.sleep(float(settings.PRESENCE_BEAT_SECONDS))
            reaped = await database_sync_to_async(services.reap_absent_participants)()
        return reaped

    async def present(self) -> list[tuple[str, int]]:
        rows = Participant.objects.filter(left_at__isnull=True).order_by("pk")
        return [(p.display_name, p.id) async for p in rows]

    async def closed_with(self, c: WebsocketCommunicator, code: int) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            out = await c.receive_output(timeout=TIMEOUT)
            if out["type"] == "websocket.close":
                self.assertEqual(out.get("code"), code)
                return
        self.fail(f"not closed with {code}")


@override_settings(**FAST)
class ReaperTestCase(PresenceCase):
    def test_participants_without_a_live_connection_are_ended_with_their_meeting(self) -> None:
        a = services.join_meeting(room=self.room, user=self.alice)
        b = services.join_meeting(room=self.room, user=self.bob)
        Participant.objects.update(joined_at=a.joined_at - services.timezone.timedelta(seconds=5))
        presence.touch(b.id, "bob's connection")  # bob's web process still beats
        self.assertEqual(services.reap_absent_participants(), [])  # first reading: only suspected
        time.sleep(FAST["PRESENCE_BEAT_SECONDS"] + 0.05)
        presence.touch(b.id, "bob's connection")
        self.assertEqual(services.reap_absent_participants(), [a.id])
        a.refresh_from_db()
        self.assertEqual(a.left_reason, "disconnected")
        self.assertIsNone(Meeting.objects.get().ended_at)  # bob is still there
        presence.clear(b.id)  # bob's process crashed too
        services.reap_absent_participants()
        time.sleep(FAST["PRESENCE_BEAT_SECONDS"] + 0.05)
        self.assertEqual(services.reap_absent_participants(), [b.id])
        self.assertIsNotNone(Meeting.objects.get().ended_at)

    def test_a_key_back_before_the_second_reading_saves_the_participant(self) -> None:
        """Redis restarted (keys lost) and the beats came back: nobody is removed."""
        a = services.join_meeting(room=self.room, user=self.alice)
        Participant.objects.update(joined_at=a.joined_at - services.timezone.timedelta(seconds=5))
        services.reap_absent_participants()
        presence.touch(a.id, "alice's connection")
        time.sleep(FAST["PRESENCE_BEAT_SECONDS"] + 0.05)
        self.assertEqual(services.reap_absent_participants(), [])
        self.assertIsNone(Participant.objects.get().left_at)

    def test_a_fresh_join_is_never_reaped(self) -> None:
        services.join_meeting(room=self.room, user=self.alice)  # joined now, no beat yet
        services.reap_absent_participants()
        time.sleep(FAST["PRESENCE_BEAT_SECONDS"] + 0.05)
        self.assertEqual(services.reap_absent_participants(), [])

    @closing
    async def test_a_connection_beats_while_it_holds_its_participant(self) -> None:
        c, joined = await self.join(self.bob)
        pid = joined["participant"]["id"]
        await asyncio.sleep(FAST["PRESENCE_TTL_SECONDS"] + 0.5)  # longer than one key's life
        self.assertEqual(await asyncio.to_thread(presence.absent, [pid]), set())
        await c.disconnect(timeout=TIMEOUT)
        self.assertEqual(await asyncio.to_thread(presence.absent, [pid]), {pid})
        self.assertEqual(await self.present(), [])


class ResumeTestCase(PresenceCase):
    @closing
    async def test_a_reconnect_with_the_token_resumes_the_same_participant(self) -> None:
        bob1, joined = await self.join(self.bob)
        alice, _ = await self.join(self.alice)
        await database_sync_to_async(services.post_chat)(
            participant=await Participant.objects.aget(pk=joined["participant"]["id"]), text="before the drop"
        )
        bob2, again = await self.join(self.bob, resume=joined["resume"])
        self.assertEqual(again["participant"]["id"], joined["participant"]["id"])
        self.assertNotEqual(again["resume"], joined["resume"])  # a new token each time
        self.assertEqual([m["text"] for m in again["chat"]], ["before the drop"])
        self.assertEqual([p["name"] for p in again["participants"]], ["Alice"])
        await self.closed_with(bob1, protocol.CLOSE_TAKEN_OVER)
        # The old connection's own disconnect comes later and must not end the resumed place.
        await bob1.disconnect(timeout=TIMEOUT)
        self.assertEqual([n for n, _ in await self.present()], ["Bob", "Alice"])
        self.assertEqual(await Meeting.objects.acount(), 1)
        await bob2.send_to(text_data=json.dumps(protocol.client_chat(text="after")))
        chat = await self.receive_type(alice, "chat")
        self.assertEqual(chat["message"]["participant"], joined["participant"]["id"])

    @override_settings(**FAST)
    @closing
    async def test_a_dropped_socket_keeps_the_place_for_a_resume_a_closed_one_does_not(self) -> None:
        bob, joined = await self.join(self.bob)
        await bob.disconnect(code=1006, timeout=TIMEOUT)  # dropped: no close frame
        self.assertEqual([n for n, _ in await self.present()], ["Bob"])
        again, resumed = await self.join(self.bob, resume=joined["resume"])
        self.assertEqual(resumed["participant"]["id"], joined["participant"]["id"])
        await again.disconnect(code=1001, timeout=TIMEOUT)  # the tab was closed
        self.assertEqual(await self.present(), [])
        # A drop nobody resumes: the reaper ends it once the key has expired.
        third, fresh = await self.join(self.bob)
        await third.disconnect(code=1006, timeout=TIMEOUT)
        await Participant.objects.aupdate(
            joined_at=services.timezone.now() - services.timezone.timedelta(seconds=5)
        )
        reaped = await self.reap_until_some()
        self.assertEqual(reaped, [fresh["participant"]["id"]])

    @closing
    async def test_a_second_tab_takes_over_and_the_first_is_told(self) -> None:
        tab1, first = await self.join(self.bob)
        tab2, second = await self.join(self.bob)  # no token: the same person all the same
        self.assertEqual(second["participant"]["id"], first["participant"]["id"])
        error = await self.receive_type(tab1, "error")
        self.assertEqual((error["code"], error["fatal"]), ("taken-over", True))
        self.assertIn("another tab", error["message"])
        await self.closed_with(tab1, protocol.CLOSE_TAKEN_OVER)
        self.assertEqual(len(await self.present()), 1)

    @override_settings(ONE_PARTICIPANT_PER_PERSON=False)
    @closing
    async def test_without_the_one_place_rule_only_the_token_resumes(self) -> None:
        _, first = await self.join(self.bob)
        _, second = await self.join(self.bob)
        self.assertNotEqual(second["participant"]["id"], first["participant"]["id"])
        _, third = await self.join(self.bob, resume=first["resume"])
        self.assertEqual(third["participant"]["id"], first["participant"]["id"])
        self.assertEqual(len(await self.present()), 2)

    @override_settings(ONE_PARTICIPANT_PER_PERSON=False)
    @closing
    async def test_someone_elses_token_resumes_nothing(self) -> None:
        _, bobs = await self.join(self.bob)
        _, alices = await self.join(self.alice, resume=bobs["resume"])
        self.assertNotEqual(alices["participant"]["id"], bobs["participant"]["id"])
        self.assertEqual(sorted(n for n, _ in await self.present()), ["Alice", "Bob"])

    @closing
    async def test_a_resumed_place_keeps_the_hosts_mute(self) -> None:
        _, joined = await self.join(self.bob)
        await Participant.objects.filter(pk=joined["participant"]["id"]).aupdate(host_muted=True, audio=False)
        _, again = await self.join(self.bob, resume=joined["resume"])
        self.assertTrue(again["participant"]["host_muted"])
        self.assertFalse(again["participant"]["audio"])

    @override_settings(**FAST)
    @closing
    async def test_a_place_ended_by_the_reaper_is_left_by_its_connection(self) -> None:
        """Beats lost (Redis was away too long): the page reconnects and joins afresh."""
        c, joined = await self.join(self.bob)
        await database_sync_to_async(services.leave_meeting)(
            participant=await Participant.objects.aget(pk=joined["participant"]["id"]), reason="disconnected"
        )
        await self.closed_with(c, protocol.CLOSE_SERVER_ERROR)
        self.assertNotIn(protocol.CLOSE_SERVER_ERROR, protocol.FINAL_CLOSE_CODES)


SFU_CAPACITY_ONE = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            **settings.CHANNEL_LAYERS["default"]["CONFIG"],
            "channel_capacity": {"sfu.*": 1},
        },
    }
}


class FaultsTestCase(PresenceCase):
    """Real faults: a full SFU channel, a PostgreSQL error, no Redis."""

    async def stalled_worker(self, worker_id: str) -> None:
        """A worker whose heartbeat is fresh but which reads nothing: its channel fills up."""
        beat = protocol.sfu_heartbeat(worker_id=worker_id, load=0, started_at=time.time())
        await heartbeat.write_heartbeat(placement.redis_client(), beat)

    @override_settings(CHANNEL_LAYERS=SFU_CAPACITY_ONE)
    @closing
    async def test_a_full_sfu_channel_mid_join_and_mid_leave_leaves_no_ghost(self) -> None:
        await self.stalled_worker("stalled")
        layer = get_channel_layer()
        await layer.send(protocol.sfu_channel("stalled"), {"type": "sfu.filler"})  # now full
        c, joined = await self.join(self.bob)
        self.assertFalse(joined["media"])  # chat only, said in words
        self.assertIn("chat works", joined["media_message"])
        await c.send_to(text_data=json.dumps(protocol.client_chat(text="still here")))
        self.assertEqual((await self.receive_type(c, "chat"))["message"]["text"], "still here")
        await c.disconnect(timeout=TIMEOUT)  # its sfu.leave cannot be delivered either
        await heartbeat.delete_heartbeat(placement.redis_client(), "stalled")
        self.assertEqual(await self.present(), [])
        self.assertIsNotNone((await Meeting.objects.aget()).ended_at)

    def fail_writes(self, table: str, when: str) -> None:
        """A real database error on every ``when`` (INSERT/UPDATE) of ``table``: a trigger."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER injected_fault BEFORE {when} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
                )
                return
            cursor.execute(
                "CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER injected_fault BEFORE {when} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION injected_fault()"
            )

    def heal(self, table: str) -> None:
        with connection.cursor() as cursor:
            on = "" if connection.vendor == "sqlite" else f" ON {table}"
            cursor.execute(f"DROP TRIGGER IF EXISTS injected_fault{on}")

    @override_settings(**FAST)
    @closing
    async def test_database_errors_mid_join_and_mid_leave_leave_no_ghost(self) -> None:
        await asyncio.to_thread(self.fail_writes, "rooms_participant", "INSERT")
        cookie = await database_sync_to_async(self.cookie_for)(self.bob)
        c = self.communicator(cookie)
        self.assertTrue((await c.connect(timeout=TIMEOUT))[0])
        await c.send_to(text_data=json.dumps(protocol.client_join()))
        error = await self.receive_type(c, "error")
        self.assertEqual(error["code"], "server-error")
        self.assertEqual(await Meeting.objects.acount(), 0)  # rolled back with the participant
        await asyncio.to_thread(self.heal, "rooms_participant")
        await c.send_to(text_data=json.dumps(protocol.client_join()))  # the same socket still works
        joined = await self.receive_type(c, "joined")
        await asyncio.to_thread(self.fail_writes, "rooms_participant", "UPDATE")
        await c.disconnect(timeout=TIMEOUT)  # the leave fails in the database
        self.assertEqual(len(await self.present()), 1)
        await asyncio.to_thread(self.heal, "rooms_participant")
        await Participant.objects.aupdate(
            joined_at=services.timezone.now() - services.timezone.timedelta(seconds=5)
        )
        reaped = await self.reap_until_some()
        self.assertEqual(reaped, [joined["participant"]["id"]])
        self.assertIsNotNone((await Meeting.objects.aget()).ended_at)


class RedisDownTestCase(PresenceCase):
    def setUp(self) -> None:
        super().setUp()
        self.redis = RedisServer().start()
        self.addCleanup(self.redis.stop)
        overrides = override_settings(**self.redis.settings(), **FAST)
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.addCleanup(reset_channel_layers)
        reset_channel_layers()
        caches["default"].close()

    @closing
    async def test_redis_lost_keeps_the_place_for_a_resume_or_the_reaper(self) -> None:
        bob, bobs = await self.join(self.bob)
        alice, alices = await self.join(self.alice)
        await asyncio.to_thread(self.redis.stop)
        # Each consumer's channel-layer receive fails: the consumer ends, its socket closes.
        for c in (bob, alice):
            with contextlib.suppress(Exception):
                await c.receive_output(timeout=TIMEOUT)
        self.assertEqual(len(await self.present()), 2)  # kept: the pages will come back
        await asyncio.to_thread(self.redis.start)
        reset_channel_layers()
        _, again = await self.join(self.bob, resume=bobs["resume"])
        self.assertEqual(again["participant"]["id"], bobs["participant"]["id"])
        await Participant.objects.aupdate(
            joined_at=services.timezone.now() - services.timezone.timedelta(seconds=5)
        )
        reaped = await self.reap_until_some()
        self.assertEqual(reaped, [alices["participant"]["id"]])  # alice never came back
        self.assertEqual([n for n, _ in await self.present()], ["Bob"])
