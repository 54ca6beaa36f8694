from django.test import TestCase, override_settings

from accounts import services


class LoginTestCase(TestCase):
    def setUp(self) -> None:
        services.create_user(username="eve", password="a-long-pass-123")

    def test_login(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "eve", "password": "a-long-pass-123"})
        self.assertRedirects(r, "/")

    def test_logout(self) -> None:
        self.client.post("/accounts/login/", {"username": "eve", "password": "a-long-pass-123"})
        r = self.client.post("/accounts/logout/")
        self.assertEqual(r.status_code, 302)
        self.assertContains(self.client.get("/"), "Log in")

    def test_bad_password_shows_error(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "eve", "password": "nope"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "correct username and password")


class LoginPageTestCase(TestCase):
    @override_settings(SITE_NAME="Acme Meet")
    def test_login_page_shows_the_product_name(self) -> None:
        self.assertContains(
            self.client.get("/accounts/login/"), '<a class="brand" href="/">Acme Meet</a>', html=True
        )

    def test_no_sso_buttons_without_configuration(self) -> None:
        r = self.client.get("/accounts/login/")
        self.assertNotContains(r, "Or continue with")
