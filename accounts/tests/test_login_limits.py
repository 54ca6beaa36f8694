"""Log-in is limited per client address (behind TRUSTED_PROXY_HOPS proxies, spoofed
X-Forwarded-For entries included) and per username, on our log-in page and the admin's alike.

Rates in these tests are per day: django-ratelimit counts in fixed windows, and a per-minute window
could end in the middle of a test (the count starts again and the last attempt passes)."""

from __future__ import annotations

from django.conf import settings
from django.test import TestCase, override_settings

from accounts import services
from conference.test_runner import flush_prefix

PROXY = "10.0.0.1"


class LimitCase(TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.cache_prefix = settings.CACHES["default"]["KEY_PREFIX"]
        flush_prefix(self.cache_prefix)  # limits count in Redis, across tests of one minute
        self.addCleanup(flush_prefix, self.cache_prefix)
        services.create_user(username="mallory", password="a-long-pass-123")

    def login(
        self, *, client: str, spoof: str = "", username: str = "mallory", url: str = "/accounts/login/"
    ):  # noqa: ANN201
        forwarded = f"{spoof}, {client}" if spoof else client
        return self.client.post(
            url,
            {"username": username, "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded,
        )


@override_settings(TRUSTED_PROXY_HOPS=1, RATELIMIT_LOGIN_ADDRESS="5/d", RATELIMIT_LOGIN_USERNAME="100/d")
class AddressLimitTestCase(LimitCase):
    def test_spoofed_entries_do_not_escape_the_limit(self) -> None:
        codes = [self.login(client="203.0.113.7", spoof=f"6.6.6.{n}").status_code for n in range(6)]
        self.assertEqual(codes, [200] * 5 + [429])

    def test_one_client_does_not_lock_out_the_others_behind_the_proxy(self) -> None:
        for _ in range(6):
            self.login(client="203.0.113.7")
        self.assertEqual(self.login(client="203.0.113.7").status_code, 429)
        self.assertEqual(self.login(client="203.0.113.8").status_code, 200)

    def test_the_limit_page(self) -> None:
        for _ in range(5):
            self.login(client="203.0.113.7")
        self.assertContains(self.login(client="203.0.113.7"), "Too many attempts", status_code=429)

    def test_admin_login_is_limited_and_shares_the_count(self) -> None:
        for _ in range(3):
            self.assertEqual(self.login(client="203.0.113.7").status_code, 200)
        codes = [self.login(client="203.0.113.7", url="/admin/login/").status_code for _ in range(3)]
        self.assertEqual(codes, [200, 200, 429])

    def test_signup_is_limited_per_address_too(self) -> None:
        with override_settings(RATELIMIT_SIGNUP="2/d"):
            codes = [
                self.client.post(
                    "/accounts/signup/", {}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.7"
                ).status_code
                for n in range(3)
            ]
        self.assertEqual(codes, [200, 200, 429])


@override_settings(TRUSTED_PROXY_HOPS=1, RATELIMIT_LOGIN_ADDRESS="100/d", RATELIMIT_LOGIN_USERNAME="3/d")
class UsernameLimitTestCase(LimitCase):
    def test_one_username_from_many_addresses(self) -> None:
        codes = [self.login(client=f"203.0.113.{n}").status_code for n in range(4)]
        self.assertEqual(codes, [200, 200, 200, 429])

    def test_the_username_is_case_insensitive(self) -> None:
        for name in ("mallory", "Mallory", " MALLORY "):
            self.login(client="203.0.113.7", username=name)
        self.assertEqual(self.login(client="203.0.113.9", username="mallory").status_code, 429)

    def test_other_usernames_are_not_limited(self) -> None:
        for _ in range(4):
            self.login(client="203.0.113.7")
        self.assertEqual(self.login(client="203.0.113.7", username="someone").status_code, 200)

    def test_admin_login_too(self) -> None:
        codes = [self.login(client=f"203.0.113.{n}", url="/admin/login/").status_code for n in range(4)]
        self.assertEqual(codes, [200, 200, 200, 429])


@override_settings(TRUSTED_PROXY_HOPS=0, RATELIMIT_LOGIN_ADDRESS="3/d", RATELIMIT_LOGIN_USERNAME="100/d")
class NoProxyTestCase(LimitCase):
    def test_the_header_is_ignored_without_trusted_proxies(self) -> None:
        """Clients connect directly: a forged header changes nothing."""
        codes = [
            self.client.post(
                "/accounts/login/",
                {"username": "mallory", "password": "wrong"},
                REMOTE_ADDR="198.51.100.9",
                HTTP_X_FORWARDED_FOR=f"6.6.6.{n}",
            ).status_code
            for n in range(4)
        ]
        self.assertEqual(codes, [200, 200, 200, 429])
