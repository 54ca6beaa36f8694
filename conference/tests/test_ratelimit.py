"""Client addresses behind TRUSTED_PROXY_HOPS proxies: never an address a client can write into
X-Forwarded-For. (The limits on log-in and sign-up: accounts/tests/test_login_limits.py.)"""

from __future__ import annotations

from django.test import SimpleTestCase, override_settings

from conference.ratelimit import client_address, scope_client_ip

PROXY = "10.0.0.1"


class ClientAddressTestCase(SimpleTestCase):
    def test_no_trusted_proxy_ignores_the_header(self) -> None:
        self.assertEqual(client_address("198.51.100.9", "6.6.6.6", hops=0), "198.51.100.9")

    def test_one_hop_takes_the_right_most_entry(self) -> None:
        # The client sent "X-Forwarded-For: 6.6.6.6"; our proxy appended the address it saw.
        self.assertEqual(client_address(PROXY, "6.6.6.6, 203.0.113.7", hops=1), "203.0.113.7")
        self.assertEqual(client_address(PROXY, "203.0.113.7", hops=1), "203.0.113.7")

    def test_two_hops_skip_our_inner_proxy(self) -> None:
        self.assertEqual(client_address(PROXY, "6.6.6.6, 203.0.113.7, 10.0.0.2", hops=2), "203.0.113.7")

    def test_fewer_entries_than_hops_take_the_left_most(self) -> None:
        self.assertEqual(client_address(PROXY, "203.0.113.7", hops=2), "203.0.113.7")

    def test_no_header_behind_a_proxy_is_the_peer(self) -> None:
        self.assertEqual(client_address(PROXY, None, hops=1), PROXY)
        self.assertEqual(client_address(PROXY, " , ", hops=1), PROXY)

    def test_garbage_is_never_a_key(self) -> None:
        self.assertEqual(client_address(PROXY, "6.6.6.6, unknown", hops=1), PROXY)
        self.assertEqual(client_address(PROXY, "6.6.6.6, 203.0.113.7:4444", hops=1), PROXY)

    def test_ipv6(self) -> None:
        self.assertEqual(client_address(PROXY, "2001:DB8::1", hops=1), "2001:db8::1")

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_websocket_scope(self) -> None:
        scope = {"client": [PROXY, 5555], "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7")]}
        self.assertEqual(scope_client_ip(scope), "203.0.113.7")
        self.assertEqual(scope_client_ip({"client": [PROXY, 5555], "headers": []}), PROXY)
