"""The room's link is shown to its creator at once, ready to share."""

from __future__ import annotations

from conference.testing.base import BaseTestCase
from rooms.models import Room


class InviteLinkTestCase(BaseTestCase):
    def test_creating_a_room_shows_its_link(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/rooms/new/", {"name": "Planning", "organization": self.org.pk, "access": "members"}, follow=True
        )
        room = Room.objects.get(name="Planning")
        link = f"http://testserver/rooms/{room.slug}/"
        self.assertContains(response, f"Invite people with this link: {link}")
        self.assertContains(response, "Copy invite link")
