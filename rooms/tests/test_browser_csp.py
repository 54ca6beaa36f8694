"""The Content-Security-Policy in Chromium: every page keeps to it, and the harness's check (which
every browser test runs at its end) does catch a violation."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase, Person


class ContentSecurityPolicyInBrowserTestCase(BrowserTestCase):
    start_sfu = False  # pages and the room's lobby only

    def visit(self, person: Person, path: str) -> None:
        response = person.page.goto(f"{self.live_server_url}{path}")
        assert response is not None
        self.assertEqual(response.status, 200, path)
        self.assertIn("script-src 'self'", response.headers["content-security-policy"])
        person.page.wait_for_load_state("load")

    def test_every_page_keeps_to_the_policy(self) -> None:
        visitor = self.new_person("Visitor")
        for path in ("/", "/accounts/login/", "/accounts/signup/"):
            self.visit(visitor, path)
        self.open_room(visitor)  # the guest form, then the room's lobby with its preview
        alice = self.signed_in(self.alice)
        for path in ("/", "/meetings/", "/accounts/profile/", f"/organizations/{self.org.slug}/"):
            self.visit(alice, path)
        self.open_room(alice)
        for person in (visitor, alice):
            self.assertEqual(person.csp_violations(), [], self.debug_dump())

    def test_a_violation_is_caught(self) -> None:
        person = self.new_person("Visitor")
        self.visit(person, "/accounts/login/")
        person.page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
            " document.body.appendChild(s); document.body.setAttribute('style', 'color: red'); }"
        )
        self.wait_until(lambda: len(person.csp_violations()) >= 2, 10, "no violation reported")
        self.assertFalse(person.page.evaluate("() => window.x === 1"))  # the inline script never ran
        person.console.clear()  # seen: the end-of-test check must not fail this test
