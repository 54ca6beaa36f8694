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


class PasswordValidatorsTestCase(TestCase):
    """The four Django validators: similar to the username, short, common, all digits."""

    def refused(self, password: str, message: str) -> None:
        r = self.client.post(
            "/accounts/signup/",
            {"username": "dorothea", "password1": password, "password2": password},
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, message)
        self.assertFalse(User.objects.filter(username="dorothea").exists())

    def test_similar_to_the_username(self) -> None:
        self.refused("dorothea1", "too similar to the username")

    def test_too_short(self) -> None:
        self.refused("x7!kq", "too short")

    def test_common(self) -> None:
        self.refused("password123", "too common")

    def test_entirely_numeric(self) -> None:
        self.refused("8305719264", "entirely numeric")
