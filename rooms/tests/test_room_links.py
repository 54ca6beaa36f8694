"""Room URLs carry an unguessable token; missing and hidden rooms get the same answer."""

from __future__ import annotations

import importlib
import math
import re

from django.apps import apps
from django.conf import settings
from django.shortcuts import resolve_url

from conference.testing import BaseTestCase
from rooms import services
from rooms.models import ROOM_TOKEN_ALPHABET, ROOM_TOKEN_LENGTH, Room, room_slug

TOKENED = re.compile(rf"^[a-z0-9-]+-[{ROOM_TOKEN_ALPHABET}]{{{ROOM_TOKEN_LENGTH}}}$")


class RoomTokenTests(BaseTestCase):
    def test_the_token_has_at_least_64_bits(self) -> None:
        self.assertGreaterEqual(ROOM_TOKEN_LENGTH * math.log2(len(set(ROOM_TOKEN_ALPHABET))), 64)

    def test_a_new_room_url_is_its_name_and_a_token(self) -> None:
        room = services.create_room(organization=self.org, name="Design review", created_by=self.bob)
        self.assertRegex(room.slug, TOKENED)
        self.assertTrue(room.slug.startswith("design-review-"))
        self.assertEqual(room.get_absolute_url(), f"/rooms/{room.slug}/")

    def test_the_same_name_gives_different_tokens(self) -> None:
        slugs = {room_slug("Standup") for _ in range(50)}
        self.assertEqual(len(slugs), 50)

    def test_the_name_alone_does_not_find_the_room(self) -> None:
        self.client.force_login(self.bob)  # a member, who may enter the room
        self.assertEqual(self.client.get("/rooms/standup/").status_code, 404)
        self.assertEqual(self.client.get(self.room.get_absolute_url()).status_code, 200)

    def test_long_and_empty_names_still_fit(self) -> None:
        for name in ("x" * 100, "!!!", "Ünïcode naïve"):
            with self.subTest(name=name):
                slug = room_slug(name)
                self.assertLessEqual(len(slug), Room._meta.get_field("slug").max_length)
                self.assertRegex(slug, TOKENED)


class RoomTokenMigrationTests(BaseTestCase):
    def test_existing_rooms_get_a_token_and_their_old_url_answers_404(self) -> None:
        Room.objects.filter(pk=self.room.pk).update(slug="standup")
        migration = importlib.import_module("rooms.migrations.0003_room_url_tokens")
        migration.add_tokens(apps, None)
        self.room.refresh_from_db()
        self.assertRegex(self.room.slug, TOKENED)
        self.assertTrue(self.room.slug.startswith("standup-"))
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get("/rooms/standup/").status_code, 404)
        self.assertEqual(self.client.get(self.room.get_absolute_url()).status_code, 200)


class SameAnswerTests(BaseTestCase):
    """A members-only room an outsider may not see answers like a room that does not exist."""

    MISSING = "/rooms/no-such-room-abcdefghijkmnp/"

    def answer(self, url: str) -> tuple[int, bytes, str]:
        r = self.client.get(url)
        return r.status_code, r.content, r.get("Location", "").replace(url, "<url>")

    def test_signed_in_outsider_gets_404_for_both(self) -> None:
        self.client.force_login(self.charlie)
        hidden, missing = self.answer(self.room.get_absolute_url()), self.answer(self.MISSING)
        self.assertEqual(hidden[0], 404)
        self.assertEqual(hidden, missing)

    def test_anonymous_visitor_is_sent_to_log_in_for_both(self) -> None:
        hidden, missing = self.answer(self.room.get_absolute_url()), self.answer(self.MISSING)
        self.assertEqual(hidden[0], 302)
        self.assertEqual(hidden[2], f"{resolve_url(settings.LOGIN_URL)}?next=<url>")
        self.assertEqual(hidden, missing)

    def test_a_member_who_logs_in_comes_back_to_the_room(self) -> None:
        url = self.room.get_absolute_url()
        r = self.client.get(url)
        r = self.client.post(r["Location"], {"username": "bob", "password": "password"})
        self.assertRedirects(r, url, fetch_redirect_response=False)
        self.assertContains(self.client.get(url), "room-config")

    def test_a_guest_session_is_sent_to_log_in_for_both(self) -> None:
        link_room = services.create_room(
            organization=self.org, name="Open", created_by=self.alice, access=Room.Access.LINK
        )
        self.client.post(link_room.get_absolute_url(), {"name": "Gus"})
        self.assertEqual(self.client.session["guest_name"], "Gus")
        hidden, missing = self.answer(self.room.get_absolute_url()), self.answer(self.MISSING)
        self.assertEqual(hidden[0], 302)
        self.assertEqual(hidden, missing)

    def test_a_link_room_asks_anyone_for_a_name(self) -> None:
        link_room = services.create_room(
            organization=self.org, name="Open", created_by=self.alice, access=Room.Access.LINK
        )
        self.assertContains(self.client.get(link_room.get_absolute_url()), "Your name")
