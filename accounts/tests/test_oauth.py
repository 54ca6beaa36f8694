"""OAuth/SSO login. The provider's HTTP endpoints are the only test double (an outside boundary)."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlparse

import requests
from django.test import TestCase, override_settings

from accounts.models import Membership, User

GITHUB = {
    "AUTHENTICATION_BACKENDS": [
        "social_core.backends.github.GithubOAuth2",
        "django.contrib.auth.backends.ModelBackend",
    ],
    "SOCIAL_AUTH_PROVIDERS": [("github", "GitHub")],
    "SOCIAL_AUTH_GITHUB_KEY": "client-id",
    "SOCIAL_AUTH_GITHUB_SECRET": "client-secret",
}


def fake_github(method: str, url: str, **kwargs: Any) -> requests.Response:
    """GitHub's token and user endpoints, as social-core calls them."""
    r = requests.Response()
    r.status_code = 200
    r.headers["Content-Type"] = "application/json"
    if url == "https://github.com/login/oauth/access_token":
        assert kwargs["data"]["code"] == "the-code" and kwargs["data"]["client_secret"] == "client-secret"
        body: Any = {"access_token": "token-123", "token_type": "bearer", "scope": "user:email"}
    elif url == "https://api.github.com/user":
        body = {"login": "octo", "id": 42, "name": "Octo Cat", "email": "octo@example.com"}
    elif url == "https://api.github.com/user/emails":
        body = [{"email": "octo@example.com", "primary": True, "verified": True}]
    else:  # pragma: no cover - a request the test did not expect
        raise AssertionError(f"unexpected request to {url}")
    r._content = json.dumps(body).encode()
    return r


class ProviderButtonsTestCase(TestCase):
    def test_no_button_for_an_unconfigured_provider(self) -> None:
        self.assertNotContains(self.client.get("/accounts/login/"), "GitHub")

    def test_buttons_only_for_configured_providers(self) -> None:
        with override_settings(**GITHUB):
            r = self.client.get("/accounts/login/")
            self.assertContains(r, "Continue with GitHub")
            self.assertContains(r, "/oauth/login/github/")
            self.assertNotContains(r, "Google")


@override_settings(**GITHUB)
class GithubLoginTestCase(TestCase):
    def login(self) -> Any:
        r = self.client.post("/oauth/login/github/")
        self.assertEqual(r.status_code, 302)
        authorize = urlparse(r["Location"])
        self.assertEqual(authorize.netloc, "github.com")
        state = parse_qs(authorize.query)["state"][0]
        with mock.patch("social_core.backends.base.requests.request", side_effect=fake_github):
            return self.client.get("/oauth/complete/github/", {"code": "the-code", "state": state})

    def test_new_user_gets_account_and_organization(self) -> None:
        r = self.login()
        self.assertRedirects(r, "/", fetch_redirect_response=False)
        user = User.objects.get(username="octo")
        self.assertEqual((user.email, user.name), ("octo@example.com", "Octo Cat"))
        self.assertEqual(Membership.objects.get(user=user).role, "owner")
        self.assertContains(self.client.get("/"), "Create room")

    def test_returning_user_is_the_same_account(self) -> None:
        self.login()
        self.client.logout()
        self.login()
        self.assertEqual(User.objects.filter(username="octo").count(), 1)
        self.assertEqual(Membership.objects.filter(user__username="octo").count(), 1)

    def test_bad_state_is_refused(self) -> None:
        self.client.post("/oauth/login/github/")
        with mock.patch("social_core.backends.base.requests.request", side_effect=fake_github):
            r = self.client.get("/oauth/complete/github/", {"code": "the-code", "state": "forged"})
        self.assertNotEqual(r.status_code, 200)
        self.assertFalse(User.objects.filter(username="octo").exists())
