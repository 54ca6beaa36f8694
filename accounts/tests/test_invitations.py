"""Invitations: bound to the invited address (verified), expiring, revocable, single use; owner
invitations are the owners' business only."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, User
from conference.testing import BaseTestCase


class InvitationCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.charlie.email, self.charlie.email_verified = "charlie@example.com", True
        self.charlie.save()

    def invite(
        self, email: str = "charlie@example.com", role: str = "member", by: User | None = None
    ) -> Invitation:
        return services.invite_member(
            organization=self.org, email=email, role=role, invited_by=by or self.alice
        )

    def accept_on_the_page(self, invitation: Invitation, user: User):  # noqa: ANN201 - a response
        self.client.force_login(user)
        return self.client.post(f"/invitations/{invitation.token}/", follow=True)

    def is_member(self, user: User) -> bool:
        return Membership.objects.filter(organization=self.org, user=user).exists()

    def make_bob_admin(self) -> None:
        Membership.objects.filter(organization=self.org, user=self.bob).update(role="admin")


class BindingTestCase(InvitationCase):
    def test_the_invited_address_accepts(self) -> None:
        invitation = self.invite()
        self.accept_on_the_page(invitation, self.charlie)
        self.assertTrue(self.is_member(self.charlie))

    def test_the_address_matches_whatever_its_case(self) -> None:
        invitation = self.invite(email="Charlie@Example.COM")
        services.accept_invitation(invitation=invitation, user=self.charlie)
        self.assertTrue(self.is_member(self.charlie))

    def test_another_account_cannot_accept(self) -> None:
        dora = services.create_user(username="dora", password="pw", email="dora@example.com")
        User.objects.filter(pk=dora.pk).update(email_verified=True)
        invitation = self.invite()
        r = self.accept_on_the_page(invitation, dora)
        self.assertContains(r, "This invitation was sent to charlie@example.com")
        self.assertFalse(self.is_member(dora))
        self.assertIsNone(Invitation.objects.get(pk=invitation.pk).accepted_at)

    def test_an_unverified_address_cannot_accept(self) -> None:
        User.objects.filter(pk=self.charlie.pk).update(email_verified=False)
        invitation = self.invite()
        r = self.accept_on_the_page(invitation, self.charlie)
        self.assertContains(r, "Verify your e-mail address first")
        self.assertContains(r, "Resend verification e-mail")
        self.assertFalse(self.is_member(self.charlie))

    def test_admins_second_account_cannot_take_an_owner_invitation(self) -> None:
        """The reported takeover: an admin's own second account accepts an owner invitation."""
        self.make_bob_admin()
        bob2 = services.create_user(username="bob2", password="pw", email="bob2@example.com")
        User.objects.filter(pk=bob2.pk).update(email_verified=True)
        invitation = self.invite(email="newowner@example.com", role="owner")
        with self.assertRaises(ValidationError):
            services.accept_invitation(invitation=invitation, user=bob2)
        self.assertFalse(self.is_member(bob2))


class LifetimeTestCase(InvitationCase):
    def age(self, invitation: Invitation, days: float) -> None:
        Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=days))

    def test_single_use(self) -> None:
        invitation = self.invite()
        services.accept_invitation(invitation=invitation, user=self.charlie)
        Membership.objects.filter(organization=self.org, user=self.charlie).delete()
        with self.assertRaisesMessage(ValidationError, "already used"):
            services.accept_invitation(invitation=invitation, user=self.charlie)
        self.assertFalse(self.is_member(self.charlie))

    def test_expires_after_the_ttl(self) -> None:
        invitation = self.invite()
        self.age(invitation, 7.01)
        r = self.accept_on_the_page(invitation, self.charlie)
        self.assertContains(r, "This invitation has expired")
        self.assertFalse(self.is_member(self.charlie))

    @override_settings(INVITATION_TTL_DAYS=30)
    def test_ttl_is_a_setting(self) -> None:
        invitation = self.invite()
        self.age(invitation, 29)
        services.accept_invitation(invitation=invitation, user=self.charlie)
        self.assertTrue(self.is_member(self.charlie))

    def test_owner_revokes(self) -> None:
        invitation = self.invite()
        self.client.force_login(self.alice)
        r = self.client.post(f"/organizations/{self.org.slug}/invitations/{invitation.id}/revoke/")
        self.assertRedirects(r, f"/organizations/{self.org.slug}/")
        r = self.accept_on_the_page(invitation, self.charlie)
        self.assertContains(r, "This invitation was revoked")
        self.assertFalse(self.is_member(self.charlie))

    def test_admin_revokes_a_member_invitation(self) -> None:
        self.make_bob_admin()
        invitation = self.invite()
        services.revoke_invitation(invitation=invitation, by=self.bob)
        self.assertIsNotNone(Invitation.objects.get(pk=invitation.pk).revoked_at)

    def test_admin_cannot_revoke_an_owner_invitation(self) -> None:
        self.make_bob_admin()
        invitation = self.invite(role="owner")
        with self.assertRaises(PermissionDenied):
            services.revoke_invitation(invitation=invitation, by=self.bob)
        self.client.force_login(self.bob)
        self.client.post(f"/organizations/{self.org.slug}/invitations/{invitation.id}/revoke/")
        self.assertIsNone(Invitation.objects.get(pk=invitation.pk).revoked_at)

    def test_member_cannot_revoke(self) -> None:
        invitation = self.invite()
        with self.assertRaises(PermissionDenied):
            services.revoke_invitation(invitation=invitation, by=self.bob)

    def test_a_used_invitation_cannot_be_revoked(self) -> None:
        invitation = self.invite()
        services.accept_invitation(invitation=invitation, user=self.charlie)
        with self.assertRaises(ValidationError):
            services.revoke_invitation(invitation=invitation, by=self.alice)


class OwnerInvitationTestCase(InvitationCase):
    def test_only_owners_invite_owners(self) -> None:
        self.make_bob_admin()
        with self.assertRaises(PermissionDenied):
            self.invite(role="owner", by=self.bob)
        self.invite(role="owner", by=self.alice)

    def test_admins_are_not_offered_the_owner_role(self) -> None:
        self.make_bob_admin()
        self.client.force_login(self.bob)
        r = self.client.get(f"/organizations/{self.org.slug}/")
        self.assertNotContains(r, '<option value="owner"')
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/organizations/{self.org.slug}/"), '<option value="owner"')

    def test_admins_never_see_owner_invitation_tokens(self) -> None:
        self.make_bob_admin()
        owner_inv = self.invite(email="boss@example.com", role="owner")
        member_inv = self.invite(email="new@example.com", role="member")
        self.client.force_login(self.bob)
        r = self.client.get(f"/organizations/{self.org.slug}/")
        self.assertContains(r, "boss@example.com")  # listed, without its link
        self.assertNotContains(r, owner_inv.token)
        self.assertContains(r, member_inv.token)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/organizations/{self.org.slug}/"), owner_inv.token)

    def test_the_token_travels_only_in_the_invitees_mail(self) -> None:
        self.make_bob_admin()
        self.client.force_login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            r = self.client.post(
                f"/organizations/{self.org.slug}/",
                {"email": "boss@example.com", "role": "owner"},
                follow=True,
            )
        token = Invitation.objects.get(email="boss@example.com").token
        self.assertContains(r, "Invitation sent to boss@example.com.")
        self.assertEqual([m.to for m in mail.outbox if token in m.body], [["boss@example.com"]])
        self.client.force_login(self.bob)
        for url in (f"/organizations/{self.org.slug}/", "/", "/accounts/profile/", "/meetings/"):
            self.assertNotContains(self.client.get(url), token)

    def test_admin_cannot_promote_to_owner(self) -> None:
        self.make_bob_admin()
        charlie_m = Membership.objects.create(organization=self.org, user=self.charlie)
        self.client.force_login(self.bob)
        self.client.post(
            f"/organizations/{self.org.slug}/members/{charlie_m.id}/", {"action": "role", "role": "owner"}
        )
        self.assertEqual(Membership.objects.get(pk=charlie_m.pk).role, "member")

    def test_admin_cannot_demote_or_remove_an_owner(self) -> None:
        self.make_bob_admin()
        alice_m = Membership.objects.get(organization=self.org, user=self.alice)
        with self.assertRaises(PermissionDenied):
            services.set_member_role(membership=alice_m, role="member", by=self.bob)
        with self.assertRaises(PermissionDenied):
            services.remove_member(membership=alice_m, by=self.bob)
        self.assertEqual(Membership.objects.get(pk=alice_m.pk).role, "owner")


class LastOwnerTestCase(InvitationCase):
    def test_last_owner_cannot_be_demoted(self) -> None:
        alice_m = Membership.objects.get(organization=self.org, user=self.alice)
        with self.assertRaisesMessage(ValidationError, "at least one owner"):
            services.set_member_role(membership=alice_m, role="admin", by=self.alice)
        self.assertEqual(Membership.objects.get(pk=alice_m.pk).role, "owner")

    def test_an_owner_steps_down_once_there_is_another(self) -> None:
        bob_m = Membership.objects.get(organization=self.org, user=self.bob)
        services.set_member_role(membership=bob_m, role="owner", by=self.alice)
        alice_m = Membership.objects.get(organization=self.org, user=self.alice)
        services.set_member_role(membership=alice_m, role="member", by=self.alice)
        self.assertEqual(
            list(self.org.memberships.filter(role="owner").values_list("user", flat=True)), [self.bob.id]
        )
