from conference.testing import BaseTestCase


class OrganizationSettingsTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = f"/organizations/{self.org.slug}/settings/"

    def test_members_cannot_change_settings(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(self.url, {"email_summaries": "on"}).status_code, 403)

    def test_managers_turn_summary_emails_on(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/organizations/{self.org.slug}/"), "E-mail each meeting")
        self.assertRedirects(
            self.client.post(self.url, {"email_summaries": "on"}), f"/organizations/{self.org.slug}/"
        )
        self.org.refresh_from_db()
        self.assertTrue(self.org.email_summaries)

    def test_managers_turn_summary_emails_off(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(self.url, {"email_summaries": "on"})
        self.client.post(self.url, {})
        self.org.refresh_from_db()
        self.assertFalse(self.org.email_summaries)
