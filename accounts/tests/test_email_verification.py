"""E-mail verification for local accounts: a signed link by e-mail, shown on the page with the
console backend; nothing but what the address grants waits for it."""

from __future__ import annotations

import contextlib
import io
import re
import time

from django.core import mail, signing
from django.test import TestCase, override_settings

from accounts import services, verification
from accounts.models import User

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
LINK = re.compile(r"http://localhost:8000(/accounts/verify/[^/\s]+/)")


class SignupVerificationTestCase(TestCase):
    def sign_up(self, email: str = "dora@example.com"):  # noqa: ANN201 - a response
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/accounts/signup/",
                {
                    "username": "dora",
                    "email": email,
                    "password1": "a-long-pass-123",
                    "password2": "a-long-pass-123",
                },
                follow=True,
            )

    def dora(self) -> User:
        return User.objects.get(username="dora")

    def test_a_new_account_is_unverified_and_gets_a_link_by_mail(self) -> None:
        self.sign_up()
        self.assertFalse(self.dora().email_verified)
        self.assertEqual(mail.outbox[0].to, ["dora@example.com"])
        path = LINK.search(mail.outbox[0].body).group(1)
        r = self.client.get(path, follow=True)
        self.assertContains(r, "dora@example.com is verified.")
        self.assertTrue(self.dora().email_verified)

    def test_an_unverified_account_can_use_the_site(self) -> None:
        """Nothing blocks a first run: rooms are created at once."""
        r = self.sign_up()
        self.assertContains(r, "Create room")
        org = self.dora().organizations.get()
        r = self.client.post("/rooms/new/", {"name": "Mine", "organization": org.id, "access": "members"})
        self.assertEqual(r.status_code, 302)
        self.assertEqual(org.rooms.get().name, "Mine")

    @override_settings(EMAIL_BACKEND=CONSOLE)
    def test_console_backend_shows_the_link_on_the_page(self) -> None:
        with contextlib.redirect_stdout(io.StringIO()) as console:
            r = self.sign_up()
        self.assertIn("Verify your e-mail address", console.getvalue())
        self.assertContains(r, "EMAIL_BACKEND is the console backend")
        path = re.search(r'href="http://localhost:8000(/accounts/verify/[^"]+/)"', r.content.decode()).group(
            1
        )
        self.client.get(path)
        self.assertTrue(self.dora().email_verified)

    @override_settings(EMAIL_BACKEND=LOCMEM)
    def test_a_real_backend_never_shows_the_link(self) -> None:
        r = self.sign_up()
        self.assertNotContains(r, "/accounts/verify/")
        self.assertContains(r, "We sent a verification link to dora@example.com.")

    def test_no_address_no_mail(self) -> None:
        self.sign_up(email="")
        self.assertEqual(mail.outbox, [])


class VerificationLinkTestCase(TestCase):
    def setUp(self) -> None:
        self.user = services.create_user(username="eve", password="pw", email="eve@example.com")

    def verify(self, token: str) -> bool:
        self.client.get(f"/accounts/verify/{token}/")
        self.user.refresh_from_db()
        return self.user.email_verified

    def test_a_forged_token_is_refused(self) -> None:
        self.assertFalse(self.verify(verification.make_token(self.user)[:-2] + "xx"))

    def test_a_token_for_another_salt_is_refused(self) -> None:
        token = signing.TimestampSigner().sign_object({"user": self.user.pk, "email": self.user.email})
        self.assertFalse(self.verify(token))

    def test_an_expired_token_is_refused(self) -> None:
        class EightDaysAgo(signing.TimestampSigner):
            def timestamp(self) -> str:
                return signing.b62_encode(int(time.time()) - 8 * 86400)

        token = EightDaysAgo(salt=verification.SALT).sign_object(
            {"user": self.user.pk, "email": self.user.email}
        )
        self.assertFalse(self.verify(token))
        with override_settings(EMAIL_VERIFICATION_TTL_DAYS=9):
            self.assertTrue(self.verify(token))

    def test_a_link_for_an_old_address_is_refused(self) -> None:
        token = verification.make_token(self.user)
        services.update_profile(user=self.user, display_name="Eve", email="eve@elsewhere.example")
        self.assertFalse(self.verify(token))

    def test_changing_the_address_unverifies_it_and_sends_a_link(self) -> None:
        User.objects.filter(pk=self.user.pk).update(email_verified=True)
        self.client.force_login(self.user)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/accounts/profile/", {"display_name": "Eve", "email": "eve@new.example"})
        self.user.refresh_from_db()
        self.assertEqual((self.user.email, self.user.email_verified), ("eve@new.example", False))
        self.assertEqual(mail.outbox[-1].to, ["eve@new.example"])
        self.assertTrue(self.verify(LINK.search(mail.outbox[-1].body).group(1).split("/")[-2]))

    def test_profile_offers_resend(self) -> None:
        self.client.force_login(self.user)
        r = self.client.get("/accounts/profile/")
        self.assertContains(r, "Not verified yet")
        self.assertContains(r, "Resend verification e-mail")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/accounts/verify/resend/")
        self.assertEqual(mail.outbox[-1].to, ["eve@example.com"])
        self.assertTrue(self.verify(LINK.search(mail.outbox[-1].body).group(1).split("/")[-2]))
        self.assertNotContains(self.client.get("/accounts/profile/"), "Resend verification e-mail")
