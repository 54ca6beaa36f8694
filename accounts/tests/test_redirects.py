"""``next=`` only ever leads to this site (url_has_allowed_host_and_scheme everywhere it is read)."""

from __future__ import annotations

from django.test import TestCase, override_settings

from accounts import services
from accounts.tests.test_oauth import GITHUB

EVIL = [
    "https://evil.example/",
    "//evil.example/x",
    "http://evil.example",
    "https:evil.example",
    "/\\evil.example",
]


class SignupRedirectTestCase(TestCase):
    def sign_up(self, next_url: str):  # noqa: ANN201 - a response
        return self.client.post(
            "/accounts/signup/?" + f"next={next_url}",
            {"username": "dora", "password1": "a-long-pass-123", "password2": "a-long-pass-123"},
        )

    def test_a_local_next_is_followed(self) -> None:
        self.assertRedirects(self.sign_up("/meetings/"), "/meetings/", fetch_redirect_response=False)

    def test_another_site_is_not(self) -> None:
        for url in EVIL:
            with self.subTest(url=url):
                self.client.logout()
                from accounts.models import User

                User.objects.filter(username="dora").delete()
                r = self.sign_up(url)
                self.assertRedirects(r, "/", fetch_redirect_response=False)

    def test_the_signup_form_keeps_a_local_next_only(self) -> None:
        self.assertContains(self.client.get("/accounts/signup/?next=/meetings/"), "/meetings/")
        self.assertNotContains(
            self.client.get("/accounts/signup/?next=https://evil.example/"), "evil.example"
        )


class LoginRedirectTestCase(TestCase):
    def setUp(self) -> None:
        services.create_user(username="rita", password="a-long-pass-123")

    def test_another_site_is_not_followed(self) -> None:
        for url in EVIL:
            with self.subTest(url=url):
                r = self.client.post(
                    "/accounts/login/", {"username": "rita", "password": "a-long-pass-123", "next": url}
                )
                self.assertRedirects(r, "/", fetch_redirect_response=False)
                self.client.logout()

    def test_a_local_next_is_followed(self) -> None:
        r = self.client.post(
            "/accounts/login/?next=/meetings/", {"username": "rita", "password": "a-long-pass-123"}
        )
        self.assertRedirects(r, "/meetings/", fetch_redirect_response=False)

    def test_the_signup_link_carries_no_foreign_next(self) -> None:
        self.assertNotContains(self.client.get("/accounts/login/?next=https://evil.example/"), "evil.example")


@override_settings(**GITHUB)
class SsoRedirectTestCase(TestCase):
    def test_sso_keeps_only_a_local_next(self) -> None:
        from accounts.tests.test_oauth import complete_github

        r = complete_github(self.client, next_url="https://evil.example/")
        self.assertRedirects(r, "/", fetch_redirect_response=False)
        self.client.logout()
        r = complete_github(self.client, next_url="/meetings/")
        self.assertRedirects(r, "/meetings/", fetch_redirect_response=False)
