"""A waiting room in real browsers: a guest waits in the lobby, the host admits or denies them."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase
from rooms.models import Room


class WaitingRoomTestCase(BrowserTestCase):
    start_sfu = False

    def setUp(self) -> None:
        super().setUp()
        Room.objects.filter(pk=self.room.pk).update(waiting_room=True)

    def test_the_host_admits_one_guest_and_denies_another(self) -> None:
        alice = self.signed_in(self.alice)
        self.enter(alice)
        gus = self.new_person("Gus Guest")
        mallory = self.new_person("Mallory Guest")
        for guest in (gus, mallory):
            self.open_room(guest)
            guest.page.get_by_role("button", name="Join", exact=True).click()
            guest.page.locator("#status", has_text="The host will let you in soon.").wait_for()
        self.assertFalse(gus.page.locator("#meeting").is_visible())
        lobby = alice.page.locator("#host-panel")
        lobby.get_by_role("heading", name="Waiting to join").wait_for()
        alice.page.get_by_role("button", name="Admit Gus Guest").click()
        gus.page.wait_for_function("() => window.__meet.phase === 'joined'", timeout=10_000)
        alice.page.locator("#participants li", has_text="Gus Guest").wait_for()
        alice.page.get_by_role("button", name="Deny Mallory Guest").click()
        mallory.page.locator("#status", has_text="did not let you in").wait_for()
        self.assertFalse(mallory.page.locator("#meeting").is_visible())
        lobby.get_by_role("heading", name="Waiting to join").wait_for(state="hidden")
