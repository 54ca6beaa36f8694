"""A meeting in real browsers: Daphne, the SFU worker and headless Chromium (see browser.py)."""

from __future__ import annotations

import sys
import time

from conference.testing.browser import BrowserTestCase, Person
from rooms.models import Meeting


class MeetingInBrowsersTestCase(BrowserTestCase):
    def meet_with_a_late_guest(self, *, before_guest: str = "") -> tuple[Person, Person, Person]:
        """alice and bob meet (bob says ``before_guest`` in the chat); then a guest joins."""
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        # The late joiner runs in a Chromium of its own, as on a real machine (see new_person).
        guest = self.new_person("Gus Guest", own_browser=True)
        for person in (alice, bob, guest):
            self.open_room(person)
        self.join(alice)
        self.join(bob)
        self.wait_video_playing(alice, "Bob")
        self.wait_video_playing(bob, "Alice")
        if before_guest:
            bob.page.get_by_label("Message").fill(before_guest)
            bob.page.get_by_role("button", name="Send").click()
            alice.page.locator("#chat-log").get_by_text(before_guest).wait_for()
        self.join(guest)
        return alice, bob, guest

    def test_a_late_joiner_sees_video(self) -> None:
        """How fast: bench/late_join.py (the first remote frame, from the Join click)."""
        _alice, _bob, guest = self.meet_with_a_late_guest()
        self.wait_video_playing(guest, "Alice")
        self.wait_video_playing(guest, "Bob")

    def test_everyone_sees_and_hears_everyone_else(self) -> None:
        people = self.meet_with_a_late_guest()
        for viewer in people:
            for other in people:
                if other is not viewer:
                    self.wait_video_playing(viewer, other.name)
                    self.wait_audio_flowing(viewer, other.name)

    def test_a_late_joiner_gets_the_chat_history(self) -> None:
        # Said before the guest arrives: the guest gets it with the meeting's history.
        _alice, _bob, guest = self.meet_with_a_late_guest(before_guest="Hello before Gus")
        guest.page.locator("#chat-log").get_by_text("Hello before Gus").wait_for()

    def test_live_chat_reaches_the_others(self) -> None:
        alice, bob, guest = self.meet_with_a_late_guest()
        guest.page.get_by_label("Message").fill("Hi all, Gus here")
        guest.page.get_by_role("button", name="Send").click()
        for person in (alice, bob):
            person.page.locator("#chat-log").get_by_text("Hi all, Gus here").wait_for()

    def test_the_participant_list_and_tiles_name_everyone(self) -> None:
        alice, bob, guest = self.meet_with_a_late_guest()
        self.wait_video_playing(alice, "Gus Guest")
        self.wait_video_playing(bob, "Gus Guest")
        for person in (alice, bob):
            self.assertIn("Gus Guest", person.page.locator("#participants").inner_text())
            self.assertIn(
                "Gus Guest", " ".join(person.page.locator('.tile[data-kind="camera"]').all_inner_texts())
            )

    def test_leave_removes_the_tile_for_the_others(self) -> None:
        alice, bob, guest = self.meet_with_a_late_guest()
        self.wait_video_playing(alice, "Gus Guest")
        self.wait_video_playing(bob, "Gus Guest")
        guest.page.get_by_role("button", name="Leave").click()
        for person in (alice, bob):
            self.tile(person, "Gus Guest").wait_for(state="detached", timeout=10_000)
            self.assertNotIn("Gus Guest", person.page.locator("#participants").inner_text())
        self.wait_video_playing(alice, "Bob")

    def test_camera_refused_joins_with_audio_only(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob, camera=False)  # camera permission refused, microphone allowed
        self.enter(alice)
        self.open_room(bob)
        self.assertIn("camera", bob.page.locator("#preview-note").inner_text().lower())
        self.join(bob)

        # Bob sees Alice and hears her; Alice hears Bob and sees his name instead of video.
        self.wait_video_playing(bob, "Alice")
        self.wait_audio_flowing(bob, "Alice")
        self.wait_audio_flowing(alice, "Bob")
        bob_tile = alice.page.locator('.tile[data-kind="camera"]', has=self.tile(alice, "Bob"))
        bob_tile.locator(".tile-placeholder").wait_for(state="visible")
        self.assertIn("Bob", bob_tile.locator(".tile-placeholder").inner_text())
        self.assertEqual(bob.page.get_by_role("button", name="Turn camera on").count(), 1)
        self.assertEqual(
            alice.page.evaluate("() => document.querySelector('video[data-participant=\"Bob\"]').videoWidth"),
            0,
        )


class MeetingControlsTestCase(BrowserTestCase):
    def alice_and_bob(self) -> tuple[Person, Person]:
        """alice (the host: she created the room) and bob, in the meeting; bob sees alice."""
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(bob, "Alice")
        return alice, bob

    def test_only_hosts_get_the_host_controls(self) -> None:
        _alice, bob = self.alice_and_bob()
        self.assertEqual(bob.page.get_by_role("button", name="Lock room").count(), 0)  # not a host

    def test_camera_off_shows_the_name_and_on_shows_video_again(self) -> None:
        alice, bob = self.alice_and_bob()
        alice_tile = bob.page.locator('.tile[data-kind="camera"]', has=self.tile(bob, "Alice"))
        alice.page.get_by_role("button", name="Turn camera off").click()
        alice_tile.locator(".tile-placeholder").wait_for(state="visible")
        alice.page.get_by_role("button", name="Turn camera on").click()
        alice_tile.locator(".tile-placeholder").wait_for(state="hidden")
        self.wait_video_playing(bob, "Alice")

    def test_screen_sharing_has_a_tile_of_its_own(self) -> None:
        alice, bob = self.alice_and_bob()
        alice.page.get_by_role("button", name="Share screen").click()
        self.wait_video_playing(bob, "Alice", screen=True)
        self.wait_video_playing(bob, "Alice")  # her camera still plays too
        alice.page.get_by_role("button", name="Stop sharing").click()
        bob.page.locator('video[data-screen-of="Alice"]').wait_for(state="detached")

    def test_self_mute_shows_on_the_tile(self) -> None:
        alice, bob = self.alice_and_bob()
        bob.page.get_by_role("button", name="Mute microphone").click()
        bob_tile = alice.page.locator('.tile[data-kind="camera"]', has=self.tile(alice, "Bob"))
        bob_tile.get_by_text("Microphone off").wait_for(state="visible")
        bob.page.get_by_role("button", name="Unmute microphone").click()
        bob_tile.get_by_text("Microphone off").wait_for(state="hidden")

    def test_the_host_mutes_a_participant_until_the_host_allows_unmuting(self) -> None:
        alice, bob = self.alice_and_bob()
        alice.page.locator("#participants li", has_text="Bob").get_by_role("button", name="Mute").click()
        ask = bob.page.get_by_role("button", name="Ask to unmute")
        ask.wait_for()
        self.assertIn("muted your microphone", bob.page.locator("#alert").inner_text())
        ask.click()
        allow = alice.page.get_by_role("button", name="Allow Bob to unmute")
        allow.wait_for()
        allow.click()
        unmute = bob.page.get_by_role("button", name="Unmute microphone")
        unmute.wait_for()
        self.assertIn("allows you to unmute", bob.page.locator("#alert").inner_text())
        unmute.click()
        bob.page.get_by_role("button", name="Mute microphone").wait_for()
        alice.page.locator("#participants li", has_text="Bob").get_by_role("button", name="Mute").wait_for(
            state="visible"
        )
        alice.page.wait_for_function(
            "() => window.__meet.participants.some((p) => p.name === 'Bob' && p.audio)", timeout=10_000
        )

    def test_a_locked_room_tells_a_newcomer(self) -> None:
        alice, _bob = self.alice_and_bob()
        alice.page.get_by_role("button", name="Lock room").click()
        alice.page.get_by_role("button", name="Unlock room").wait_for()
        guest = self.new_person("Gus Guest")
        self.open_room(guest)
        guest.page.get_by_role("button", name="Join", exact=True).click()
        guest.page.locator("#status", has_text="locked").wait_for()
        self.assertIn("Ask the host to unlock it", guest.page.locator("#alert").inner_text())

    def test_the_host_removes_a_participant_and_may_let_them_back_in(self) -> None:
        alice, bob = self.alice_and_bob()
        alice.page.once("dialog", lambda dialog: dialog.accept())
        alice.page.locator("#participants li", has_text="Bob").get_by_role("button", name="Remove").click()
        bob.page.locator("#status", has_text="removed you").wait_for()
        self.tile(alice, "Bob").wait_for(state="detached")
        self.assertEqual(bob.page.get_by_role("button", name="Join", exact=True).is_visible(), True)
        bob.page.get_by_role("button", name="Join", exact=True).click()  # refused: still barred
        bob.page.locator("#status", has_text="Only a host can let you back in").wait_for()
        alice.page.get_by_role("button", name="Let Bob back in").click()
        alice.page.get_by_role("button", name="Let Bob back in").wait_for(state="detached")
        bob.page.get_by_role("button", name="Join", exact=True).click()
        bob.page.wait_for_function("() => window.__meet.phase === 'joined'", timeout=10_000)
        self.wait_video_playing(alice, "Bob")

    def test_lost_connection_rejoins(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(alice, "Bob")
        first_id = bob.page.evaluate("() => window.__meet.self.id")

        bob.page.evaluate("() => window.__meet.signaling.ws.close()")  # as if the network dropped
        # Back in the meeting as the same participant (the page's resume token).
        bob.page.wait_for_function(
            "(old) => window.__meet.phase === 'joined' && window.__meet.self.id === old"
            " && window.__meet.events.filter((e) => e.joined).length === 2",
            arg=first_id,
            timeout=15_000,
        )
        self.wait_video_playing(bob, "Alice")
        self.wait_video_playing(alice, "Bob")
        self.assertEqual(self.tile(alice, "Bob").count(), 1)
        self.wait_audio_flowing(alice, "Bob")

    def test_refused_at_the_handshake_says_why(self) -> None:
        from accounts.models import Membership
        from rooms.models import Room

        self.room.access = Room.Access.MEMBERS
        self.room.save(update_fields=["access"])
        bob = self.signed_in(self.bob)
        self.open_room(bob)
        Membership.objects.filter(user=self.bob, organization=self.org).delete()  # removed meanwhile
        bob.page.get_by_role("button", name="Join", exact=True).click()
        bob.page.locator("#status", has_text="not allowed").wait_for(timeout=10_000)
        self.assertFalse(bob.page.locator("#meeting").is_visible())


class NoMediaServerTestCase(BrowserTestCase):
    start_sfu = False

    def test_chat_works_and_the_page_says_media_is_unavailable(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        bob.page.locator("#alert", has_text="Chat still works").wait_for()
        alice.page.get_by_label("Message").fill("Can you hear me?")
        alice.page.get_by_role("button", name="Send").click()
        bob.page.locator("#chat-log").get_by_text("Can you hear me?").wait_for()
        self.assertIn("Alice", bob.page.locator("#participants").inner_text())


class MediaServerRestartTestCase(BrowserTestCase):
    def wait_video_after(self, person, name: str, event: str, timeout: float = 20) -> None:  # noqa: ANN001
        """A new first frame of ``name``'s camera after the page logged ``event`` (no stale picture)."""
        person.page.wait_for_function(
            """([event, name]) => {
              const m = window.__meet;
              const p = m.participants.find((x) => x.name === name);
              if (!p) return false;
              const since = m.events.map((e) => event in e).lastIndexOf(true);
              return since >= 0 && m.events.slice(since).some((e) => e.firstFrame === `${p.id}:camera`);
            }""",
            arg=[event, name],
            polling=200,
            timeout=timeout * 1000,
        )
        self.wait_video_playing(person, name)

    def start_sfu(self, name: str) -> None:
        type(self).sfu = self.start_worker(
            name, ["runsfu"], {"SFU_HOST_ADDRESSES": "127.0.0.1"}, ready=r"\bready\b"
        )
        self.sfu.wait_ready(self.sfu_ready_timeout)

    def test_meeting_survives_media_server_restarts(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(bob, "Alice")
        bob_id = bob.page.evaluate("() => window.__meet.self.id")

        # Another worker is up: stopping the first moves the meeting there, sockets stay open.
        first = self.sfu
        assert first is not None
        self.start_sfu("sfu-2")
        self.assertEqual(first.stop(), 0)
        self.wait_video_after(bob, "Alice", "mediaRestart")
        self.wait_video_after(alice, "Bob", "mediaRestart")
        self.assertEqual(bob.page.evaluate("() => window.__meet.self.id"), bob_id)

        # No worker left: the page says so, chat still works, and it comes back on its own.
        self.assertEqual(self.sfu.stop(), 0)
        for person in (alice, bob):
            person.page.locator("#alert", has_text="Chat still works").wait_for(timeout=15_000)
        bob.page.get_by_label("Message").fill("Still here")
        bob.page.get_by_role("button", name="Send").click()
        alice.page.locator("#chat-log").get_by_text("Still here").wait_for()
        self.start_sfu("sfu-3")
        self.wait_video_after(bob, "Alice", "mediaUnavailable", timeout=30)
        self.wait_video_after(alice, "Bob", "mediaUnavailable", timeout=30)
        self.assertEqual(self.tile(alice, "Bob").count(), 1)


class MediaServerDeathTestCase(MediaServerRestartTestCase):
    """SIGKILL of the worker carrying the meeting: the pages stay in the same meeting."""

    test_meeting_survives_media_server_restarts = None  # the parent's test runs in its own class

    def test_meeting_survives_its_worker_being_killed(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(bob, "Alice")
        self.wait_video_playing(alice, "Bob")
        bob.page.get_by_label("Message").fill("Said before the crash")
        bob.page.get_by_role("button", name="Send").click()
        alice.page.locator("#chat-log").get_by_text("Said before the crash").wait_for()
        ids = {p.name: p.page.evaluate("() => window.__meet.self.id") for p in (alice, bob)}
        meeting = Meeting.objects.get(participants__id=ids["Alice"])

        first = self.sfu
        assert first is not None
        self.start_sfu("sfu-2")
        self.assertEqual(Meeting.objects.get(pk=meeting.pk).sfu_worker, meeting.sfu_worker)
        killed_at = time.monotonic()
        first.kill()  # SIGKILL: no goodbye; its heartbeat expires
        self.wait_video_after(bob, "Alice", "mediaRestart", timeout=30)
        self.wait_video_after(alice, "Bob", "mediaRestart", timeout=30)
        print(f"\nbrowsers: video again {time.monotonic() - killed_at:.1f} s after SIGKILL", file=sys.stderr)
        self.wait_audio_flowing(alice, "Bob")
        self.wait_audio_flowing(bob, "Alice")

        for person, other in ((alice, "Bob"), (bob, "Alice")):
            # Same participant, same meeting: no rejoin happened, the roster names everyone once.
            self.assertEqual(person.page.evaluate("() => window.__meet.self.id"), ids[person.name])
            joins = person.page.evaluate("() => window.__meet.events.filter((e) => 'joined' in e).length")
            self.assertEqual(joins, 1, self.debug_dump())
            roster = person.page.locator("#participants li").all_inner_texts()
            self.assertEqual(len(roster), 2, roster)
            self.assertEqual(sum(other in item for item in roster), 1, roster)
            self.assertEqual(self.tile(person, other).count(), 1)
            # The chat history is still on the page.
            person.page.locator("#chat-log").get_by_text("Said before the crash").wait_for()
        meeting.refresh_from_db()
        self.assertIsNone(meeting.ended_at)
        self.assertEqual(Meeting.objects.filter(room=self.room).count(), 1)
        self.assertEqual(meeting.participants.count(), 2)
        self.assertNotEqual(meeting.sfu_worker, "")
        alice.page.get_by_label("Message").fill("Said after the crash")
        alice.page.get_by_role("button", name="Send").click()
        bob.page.locator("#chat-log").get_by_text("Said after the crash").wait_for()
