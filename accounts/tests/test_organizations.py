from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.models import Invitation, Membership, Organization
from conference.testing import BaseTestCase


class InvitationTestCase(BaseTestCase):
    def invite_charlie(self) -> Invitation:
        self.client.force_login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            r = self.client.post(
                f"/organizations/{self.org.slug}/", {"email": "charlie@example.com", "role": "admin"}
            )
        self.assertRedirects(r, f"/organizations/{self.org.slug}/")
        return self.org.invitations.get()

    def give_charlie_the_address(self) -> None:
        """Invitations are bound to the invited address, verified."""
        self.charlie.email, self.charlie.email_verified = "charlie@example.com", True
        self.charlie.save()

    def test_owner_invites_by_email(self) -> None:
        invitation = self.invite_charlie()
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn(invitation.token, mail.outbox[0].body)

    def test_invitee_accepts_with_the_invited_role(self) -> None:
        invitation = self.invite_charlie()
        self.give_charlie_the_address()
        self.client.force_login(self.charlie)
        r = self.client.post(f"/invitations/{invitation.token}/")
        self.assertRedirects(r, "/")
        self.assertEqual(Membership.objects.get(user=self.charlie, organization=self.org).role, "admin")

    def test_the_link_works_once(self) -> None:
        invitation = self.invite_charlie()
        self.give_charlie_the_address()
        self.client.force_login(self.charlie)
        self.client.post(f"/invitations/{invitation.token}/")
        self.assertTrue(Membership.objects.filter(user=self.charlie, organization=self.org).exists())
        with self.assertRaises(ValidationError):
            services.accept_invitation(invitation=invitation, user=self.charlie)

    def test_member_cannot_invite(self) -> None:
        with self.assertRaises(PermissionDenied):
            services.invite_member(
                organization=self.org, email="x@example.com", role="member", invited_by=self.bob
            )

    def test_member_cannot_invite_on_the_page(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.post(f"/organizations/{self.org.slug}/", {"email": "x@example.com", "role": "member"})
        self.assertEqual(r.status_code, 403)


class OrganizationTestCase(BaseTestCase):
    def test_outsider_cannot_see_organization(self) -> None:
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(f"/organizations/{self.org.slug}/").status_code, 403)

    def make_bob_admin(self) -> Membership:
        admin_m = Membership.objects.get(user=self.bob, organization=self.org)
        admin_m.role = "admin"
        admin_m.save()
        return Membership.objects.create(organization=self.org, user=self.charlie)

    def test_admin_cannot_make_owner(self) -> None:
        charlie_m = self.make_bob_admin()
        with self.assertRaises(PermissionDenied):
            services.set_member_role(membership=charlie_m, role="owner", by=self.bob)

    def test_admin_can_make_admin(self) -> None:
        charlie_m = self.make_bob_admin()
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
