from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase, override_settings

from accounts import services
from accounts.models import Membership, Organization, User
from conference.testing import BaseTestCase


class SignupTestCase(TestCase):
    def test_signup_creates_user_org_and_logs_in(self) -> None:
        r = self.client.post(
            "/accounts/signup/",
            {
                "username": "dora",
                "display_name": "Dora D",
                "password1": "a-long-pass-123",
                "password2": "a-long-pass-123",
            },
        )
        self.assertRedirects(r, "/")
        user = User.objects.get(username="dora")
        self.assertEqual(user.name, "Dora D")
        m = Membership.objects.get(user=user)
        self.assertEqual(m.role, Membership.Role.OWNER)
        r = self.client.get("/")
        self.assertContains(r, "Create room")

    def test_login_and_logout(self) -> None:
        services.create_user(username="eve", password="a-long-pass-123")
        r = self.client.post("/accounts/login/", {"username": "eve", "password": "a-long-pass-123"})
        self.assertRedirects(r, "/")
        r = self.client.post("/accounts/logout/")
        self.assertEqual(r.status_code, 302)
        self.assertContains(self.client.get("/"), "Log in")

    def test_bad_password_shows_error(self) -> None:
        services.create_user(username="eve", password="a-long-pass-123")
        r = self.client.post("/accounts/login/", {"username": "eve", "password": "nope"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "correct username and password")

    @override_settings(SITE_NAME="Acme Meet")
    def test_login_page_shows_the_product_name(self) -> None:
        self.assertContains(
            self.client.get("/accounts/login/"), '<a class="brand" href="/">Acme Meet</a>', html=True
        )

    def test_no_sso_buttons_without_configuration(self) -> None:
        r = self.client.get("/accounts/login/")
        self.assertNotContains(r, "Or continue with")


class ProfileTestCase(BaseTestCase):
    def test_display_name_update(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.post("/accounts/profile/", {"display_name": "Robert"})
        self.assertRedirects(r, "/accounts/profile/")
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.name, "Robert")


class OrganizationTestCase(BaseTestCase):
    def test_owner_invites_and_invitee_accepts(self) -> None:
        self.client.force_login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            r = self.client.post(
                f"/organizations/{self.org.slug}/", {"email": "charlie@example.com", "role": "admin"}
            )
        self.assertRedirects(r, f"/organizations/{self.org.slug}/")
        self.assertEqual(len(mail.outbox), 1)
        invitation = self.org.invitations.get()
        self.assertIn(invitation.token, mail.outbox[0].body)
        self.client.force_login(self.charlie)
        r = self.client.post(f"/invitations/{invitation.token}/")
        self.assertRedirects(r, "/")
        self.assertEqual(Membership.objects.get(user=self.charlie, organization=self.org).role, "admin")
        # The link works once.
        with self.assertRaises(ValidationError):
            services.accept_invitation(invitation=invitation, user=self.charlie)

    def test_member_cannot_invite(self) -> None:
        with self.assertRaises(PermissionDenied):
            services.invite_member(
                organization=self.org, email="x@example.com", role="member", invited_by=self.bob
            )
        self.client.force_login(self.bob)
        r = self.client.post(f"/organizations/{self.org.slug}/", {"email": "x@example.com", "role": "member"})
        self.assertEqual(r.status_code, 403)

    def test_outsider_cannot_see_organization(self) -> None:
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(f"/organizations/{self.org.slug}/").status_code, 403)

    def test_admin_cannot_make_owner(self) -> None:
        admin_m = Membership.objects.get(user=self.bob, organization=self.org)
        admin_m.role = "admin"
        admin_m.save()
        charlie_m = Membership.objects.create(organization=self.org, user=self.charlie)
        with self.assertRaises(PermissionDenied):
            services.set_member_role(membership=charlie_m, role="owner", by=self.bob)
        services.set_member_role(membership=charlie_m, role="admin", by=self.bob)
        self.assertEqual(Membership.objects.get(pk=charlie_m.pk).role, "admin")

    def test_last_owner_cannot_leave(self) -> None:
        owner_m = Membership.objects.get(user=self.alice, organization=self.org)
        with self.assertRaises(ValidationError):
            services.remove_member(membership=owner_m, by=self.alice)

    def test_user_in_several_organizations(self) -> None:
        other = services.create_organization(name="Acme", owner=self.bob)
        self.assertEqual(
            set(self.bob.organizations.all()),
            {
                self.org,
                other,
                Organization.objects.get(
                    memberships__user=self.bob, memberships__role="owner", name__contains="Bob"
                ),
            },
        )


class DashboardTestCase(BaseTestCase):
    def test_managers_see_usage(self) -> None:
        from rooms import services as room_services

        a = room_services.join_meeting(room=self.room, user=self.alice)
        room_services.post_chat(participant=a, text="hi")
        room_services.leave_meeting(participant=a)
        self.client.force_login(self.alice)
        r = self.client.get(f"/organizations/{self.org.slug}/")
        self.assertContains(r, "Usage, last 30 days")
        self.assertEqual(r.context["usage"]["meetings"], 1)
        self.assertEqual(r.context["usage"]["chat_messages"], 1)
        self.assertContains(r, f"/meetings/{a.meeting_id}/transcript/")
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(f"/organizations/{self.org.slug}/"), "Usage, last 30 days")


class OrganizationSettingsTestCase(BaseTestCase):
    def test_managers_turn_summary_emails_on_and_off(self) -> None:
        url = f"/organizations/{self.org.slug}/settings/"
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(url, {"email_summaries": "on"}).status_code, 403)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/organizations/{self.org.slug}/"), "E-mail each meeting")
        self.assertRedirects(
            self.client.post(url, {"email_summaries": "on"}), f"/organizations/{self.org.slug}/"
        )
        self.org.refresh_from_db()
        self.assertTrue(self.org.email_summaries)
        self.client.post(url, {})
        self.org.refresh_from_db()
        self.assertFalse(self.org.email_summaries)
