from conference.testing import BaseTestCase


class ProfileTestCase(BaseTestCase):
    def test_display_name_update(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.post("/accounts/profile/", {"display_name": "Robert"})
        self.assertRedirects(r, "/accounts/profile/")
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.name, "Robert")
