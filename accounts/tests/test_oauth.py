"""OAuth/SSO login. The provider's HTTP endpoints are the only test double (an outside boundary)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlparse

import requests
from django.test import Client, TestCase, override_settings
from social_core.backends.auth0 import Auth0OAuth2
from social_core.backends.github import GithubOAuth2
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from accounts import services
from accounts.models import Membership, User
from accounts.pipeline import provider_verified_email

GITHUB = {
    "AUTHENTICATION_BACKENDS": [
        "social_core.backends.github.GithubOAuth2",
        "django.contrib.auth.backends.ModelBackend",
    ],
    "SOCIAL_AUTH_PROVIDERS": [("github", "GitHub")],
    "SOCIAL_AUTH_GITHUB_KEY": "client-id",
    "SOCIAL_AUTH_GITHUB_SECRET": "client-secret",
}


def fake_github_for(
    *, email: str = "octo@example.com", verified: bool = True, login: str = "octo"
) -> Callable[..., requests.Response]:
    """GitHub's token and user endpoints, as social-core calls them."""

    def fake(method: str, url: str, **kwargs: Any) -> requests.Response:
        r = requests.Response()
        r.status_code = 200
        r.headers["Content-Type"] = "application/json"
        if url == "https://github.com/login/oauth/access_token":
            assert kwargs["data"]["code"] == "the-code" and kwargs["data"]["client_secret"] == "client-secret"
            body: Any = {"access_token": "token-123", "token_type": "bearer", "scope": "user:email"}
        elif url == "https://api.github.com/user":
            body = {"login": login, "id": 42, "name": "Octo Cat", "email": email}
        elif url == "https://api.github.com/user/emails":
            body = [{"email": email, "primary": True, "verified": verified}]
        else:  # pragma: no cover - a request the test did not expect
            raise AssertionError(f"unexpected request to {url}")
        r._content = json.dumps(body).encode()
        return r

    return fake


fake_github = fake_github_for()


def complete_github(client: Client, *, next_url: str | None = None, **provider: Any) -> Any:
    """The whole round trip: our begin view, GitHub (faked at its HTTP endpoints), our callback."""
    r = client.post("/oauth/login/github/", {"next": next_url} if next_url else {})
    assert r.status_code == 302, r
    authorize = urlparse(r["Location"])
    assert authorize.netloc == "github.com", authorize
    state = parse_qs(authorize.query)["state"][0]
    with mock.patch("social_core.backends.base.requests.request", side_effect=fake_github_for(**provider)):
        return client.get("/oauth/complete/github/", {"code": "the-code", "state": state})


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


@override_settings(**GITHUB)
class VerifiedEmailAssociationTestCase(TestCase):
    """SSO links to an existing account only when both sides verified the address."""

    def local(self, *, verified: bool, email: str = "octo@example.com") -> User:
        user = services.create_user(username="local-octo", password="a-long-pass-123", email=email)
        User.objects.filter(pk=user.pk).update(email_verified=verified)
        return user

    def sso_user(self) -> User:
        return UserSocialAuth.objects.get(provider="github", uid="42").user

    def test_pre_hijack_fails(self) -> None:
        """Someone signs up first with the victim's address (unverified): the victim's SSO login
        gets an account of its own, not the squatter's."""
        squatter = self.local(verified=False)
        complete_github(self.client)
        self.assertNotEqual(self.sso_user(), squatter)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.sso_user().pk)

    def test_linked_when_both_sides_are_verified(self) -> None:
        mine = self.local(verified=True)
        complete_github(self.client)
        self.assertEqual(self.sso_user(), mine)
        self.assertEqual(User.objects.count(), 1)

    def test_not_linked_when_the_provider_has_not_verified(self) -> None:
        mine = self.local(verified=True)
        complete_github(self.client, verified=False)
        self.assertNotEqual(self.sso_user(), mine)
        self.assertFalse(self.sso_user().email_verified)

    def test_the_address_matches_whatever_its_case(self) -> None:
        mine = self.local(verified=True, email="Octo@Example.com")
        complete_github(self.client)
        self.assertEqual(self.sso_user(), mine)

    def test_a_new_account_takes_the_providers_word(self) -> None:
        complete_github(self.client)
        self.assertTrue(self.sso_user().email_verified)

    def test_signed_in_person_links_explicitly(self) -> None:
        """The explicit link step: whoever is signed in gets the login, whatever the addresses."""
        mine = self.local(verified=False, email="someone-else@example.com")
        self.client.force_login(mine)
        complete_github(self.client, next_url="/accounts/profile/")
        self.assertEqual(self.sso_user(), mine)
        self.client.logout()
        complete_github(self.client)
        self.assertEqual(int(self.client.session["_auth_user_id"]), mine.pk)

    def test_the_profile_offers_the_link_button(self) -> None:
        self.client.force_login(self.local(verified=False))
        self.assertContains(self.client.get("/accounts/profile/"), "Link GitHub")


class ProviderClaimTestCase(TestCase):
    """What each provider's answer says about the address (real backends, their parsed answers)."""

    def backend(self, cls: type) -> Any:
        return cls(load_strategy())

    def test_oidc_email_verified_claim(self) -> None:
        oidc = self.backend(OpenIdConnectAuth)
        details = {"email": "a@example.com"}
        oidc.id_token = {"sub": "1", "email_verified": True}
        self.assertEqual(provider_verified_email(oidc, details, {}), "a@example.com")
        oidc.id_token = {"sub": "1", "email_verified": False}
        self.assertEqual(provider_verified_email(oidc, details, {}), "")
        oidc.id_token = {"sub": "1"}
        self.assertEqual(provider_verified_email(oidc, details, {"email_verified": "true"}), "a@example.com")
        self.assertEqual(provider_verified_email(oidc, details, {}), "")

    def test_auth0_details_claim(self) -> None:
        auth0 = self.backend(Auth0OAuth2)
        self.assertEqual(
            provider_verified_email(auth0, {"email": "a@example.com", "email_verified": True}, {}),
            "a@example.com",
        )
        self.assertEqual(provider_verified_email(auth0, {"email": "a@example.com"}, {}), "")

    def test_github_only_a_verified_entry_of_that_address(self) -> None:
        github = self.backend(GithubOAuth2)
        details = {"email": "a@example.com"}
        other = {"emails": [{"email": "b@example.com", "verified": True}, {"email": "a@example.com"}]}
        self.assertEqual(provider_verified_email(github, details, other), "")
        # an email_verified key is not GitHub's word
        self.assertEqual(provider_verified_email(github, {**details, "email_verified": True}, {}), "")
