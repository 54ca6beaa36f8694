"""The organization page's usage figures, for managers only."""

from conference.testing import BaseTestCase
from rooms import services as room_services


class DashboardTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.participant = room_services.join_meeting(room=self.room, user=self.alice)
        room_services.post_chat(participant=self.participant, text="hi")
        room_services.leave_meeting(participant=self.participant)

    def test_managers_see_usage(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get(f"/organizations/{self.org.slug}/")
        self.assertContains(r, "Usage, last 30 days")
        self.assertEqual(r.context["usage"]["meetings"], 1)
        self.assertEqual(r.context["usage"]["chat_messages"], 1)
        self.assertContains(r, f"/meetings/{self.participant.meeting_id}/transcript/")

    def test_members_do_not_see_usage(self) -> None:
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(f"/organizations/{self.org.slug}/"), "Usage, last 30 days")
