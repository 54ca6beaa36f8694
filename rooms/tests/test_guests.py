"""Guests: names trimmed and bounded (form and service), marked as guests in the protocol."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from conference.testing import BaseTestCase
from rooms import selectors, services
from rooms.forms import GuestForm
from rooms.models import ChatMessage, Room
from rooms.names import GUEST_NAME_MAX_LENGTH, clean_guest_name


class GuestNameTests(BaseTestCase):
    def test_whitespace_is_trimmed_and_collapsed(self) -> None:
        self.assertEqual(clean_guest_name("  Gus \t  the\n guest  "), "Gus the guest")

    def test_bounds(self) -> None:
        self.assertEqual(clean_guest_name("G"), "G")
        self.assertEqual(clean_guest_name("g" * GUEST_NAME_MAX_LENGTH), "g" * GUEST_NAME_MAX_LENGTH)
        for bad in ("", "   ", "g" * (GUEST_NAME_MAX_LENGTH + 1)):
            with self.subTest(name=bad), self.assertRaises(ValidationError):
                clean_guest_name(bad)

    def test_control_and_invisible_characters_are_refused(self) -> None:
        for bad in ("Gus\x00", "Gu\x1bs", "\u202eecilA", "Al\u200bice", "Gus\x7f"):
            with self.subTest(name=repr(bad)), self.assertRaises(ValidationError) as cm:
                clean_guest_name(bad)
            self.assertIn("control or invisible", cm.exception.messages[0])

    def test_letters_of_any_script_and_emoji_pass(self) -> None:
        for good in ("José Ñúñez", "李雷", "Zoë 👩\u200d💻"):
            with self.subTest(name=good):
                self.assertEqual(clean_guest_name(good), good)

    def test_the_form_says_what_is_wrong(self) -> None:
        form = GuestForm({"name": "g" * 60})
        self.assertFalse(form.is_valid())
        self.assertIn(f"limited to {GUEST_NAME_MAX_LENGTH} characters", form.errors["name"][0])
        self.assertEqual(GuestForm({"name": "  Gus   G  "}).is_valid(), True)

    def test_the_guest_page_keeps_the_cleaned_name(self) -> None:
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        url = self.room.get_absolute_url()
        r = self.client.post(url, {"name": "Bad\x07"})
        self.assertContains(r, "control or invisible")
        self.assertNotIn("guest_name", self.client.session)
        self.client.post(url, {"name": "  Gus   G  "})
        self.assertEqual(self.client.session["guest_name"], "Gus G")

    def test_a_session_name_that_no_longer_passes_is_asked_again(self) -> None:
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        session = self.client.session
        session["guest_name"], session["guest_key"] = "g" * 60, "k"
        session.save()
        self.assertContains(self.client.get(self.room.get_absolute_url()), "Your name")

    def test_the_service_cleans_and_refuses_too(self) -> None:
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        g = services.join_meeting(room=self.room, user=None, guest_name="  Gus \n G ", guest_key="k1")
        self.assertEqual(g.display_name, "Gus G")
        for bad in ("g" * 51, "Gus\u202e"):
            with self.subTest(name=repr(bad)), self.assertRaises(ValidationError):
                services.join_meeting(room=self.room, user=None, guest_name=bad, guest_key="k2")
        self.assertEqual(self.room.meetings.get().participants.count(), 1)


class GuestMarkTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        self.member = services.join_meeting(room=self.room, user=self.alice)
        self.guest = services.join_meeting(room=self.room, user=None, guest_name="Alice", guest_key="k1")

    def test_participant_info_says_who_is_a_guest(self) -> None:
        self.assertIs(selectors.participant_info(self.member)["guest"], False)
        self.assertIs(selectors.participant_info(self.guest)["guest"], True)
        joined = self.room.meetings.get()
        others = selectors.join_snapshot(self.member, chat_limit=10).others
        self.assertEqual([(o["name"], o["guest"]) for o in others], [("Alice", True)])
        self.assertEqual(joined.participants.count(), 2)

    def test_chat_info_says_whether_the_author_is_a_guest(self) -> None:
        services.post_chat(participant=self.member, text="I am Alice")
        services.post_chat(participant=self.guest, text="No, I am Alice")
        history = selectors.join_snapshot(self.member, chat_limit=10).chat
        self.assertEqual([(m["author"], m["guest"]) for m in history], [("Alice", False), ("Alice", True)])

    def test_the_mark_outlives_the_participant_row(self) -> None:
        message = services.post_chat(participant=self.guest, text="hi")
        self.guest.delete()
        message.refresh_from_db()
        self.assertIsNone(message.participant_id)
        self.assertIs(selectors.chat_info(ChatMessage.objects.get(pk=message.pk))["guest"], True)
