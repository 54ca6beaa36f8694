from django.test import TestCase

from accounts.models import Membership, User


class SignupTestCase(TestCase):
    def sign_up(self):  # noqa: ANN201 - a test client response
        return self.client.post(
            "/accounts/signup/",
            {
                "username": "dora",
                "display_name": "Dora D",
                "password1": "a-long-pass-123",
                "password2": "a-long-pass-123",
            },
        )

    def test_signup_creates_user_and_an_organization_they_own(self) -> None:
        r = self.sign_up()
        self.assertRedirects(r, "/")
        user = User.objects.get(username="dora")
        self.assertEqual(user.name, "Dora D")
        m = Membership.objects.get(user=user)
        self.assertEqual(m.role, Membership.Role.OWNER)

    def test_signup_logs_in(self) -> None:
        self.sign_up()
        r = self.client.get("/")
        self.assertContains(r, "Create room")
