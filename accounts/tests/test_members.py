"""The members part of the organization page: search, last activity, pagination and query counts,
resending invitations, and requiring single sign-on."""

from __future__ import annotations

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from social_django.models import UserSocialAuth

from accounts import services
from accounts.models import AuditEntry, Invitation, Membership, User
from conference.testing import BaseTestCase
from dashboard.generate import generate
from rooms.models import Room

SSO = {"SOCIAL_AUTH_PROVIDERS": [("github", "GitHub")]}


class MembersTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dave = services.create_user(username="dave", password="password", display_name="Dave")
        Membership.objects.create(organization=self.org, user=self.dave, role=Membership.Role.ADMIN)
        self.url = f"/organizations/{self.org.slug}/"


class ListTests(MembersTestCase):
    def test_search(self) -> None:
        self.client.force_login(self.alice)
        r = self.client.get(self.url, {"q": "bo"})
        self.assertEqual([m.user.username for m in r.context["page"]], ["bob"])
        r = self.client.get(self.url, {"q": "zzz"})
        self.assertContains(r, "Nobody matches")

    def test_last_meeting_is_the_last_one_in_this_organization(self) -> None:
        generate(organization=self.org, users=[self.bob], rooms=[self.room], meetings=20)
        theirs = Room.objects.create(organization=self.charlie.organizations.get(), name="T", slug="t-x")
        Membership.objects.create(organization=theirs.organization, user=self.bob)
        self.client.force_login(self.alice)
        rows = {m.user.username: m for m in self.client.get(self.url).context["page"]}
        latest = self.bob.participations.filter(meeting__room=self.room).latest("joined_at").joined_at
        self.assertEqual(rows["bob"].last_meeting, latest)
        self.assertIsNone(rows["dave"].last_meeting)

    def test_paginated_with_a_bounded_query_count(self) -> None:
        self.client.force_login(self.alice)
        with CaptureQueriesContext(connection) as few:
            self.client.get(self.url)
        people = [User.objects.create(username=f"p{i:03}") for i in range(120)]
        Membership.objects.bulk_create(Membership(organization=self.org, user=u) for u in people)
        generate(organization=self.org, users=people[:30] + [self.bob], rooms=[self.room], meetings=220)
        with CaptureQueriesContext(connection) as many:
            r = self.client.get(self.url, {"page": 2})
        self.assertEqual(len(r.context["page"].object_list), 50)
        self.assertContains(r, "Page 2 of 3")
        self.assertEqual(len(many), len(few))

    def test_members_see_the_list_without_managing(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertNotContains(r, "Change role")
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 403)


class ResendTests(MembersTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.inv = services.invite_member(
            organization=self.org, email="erin@example.com", role="member", invited_by=self.alice
        )
        self.resend = f"{self.url}invitations/{self.inv.id}/resend/"

    def test_owner_and_admin_resend_with_a_new_link(self) -> None:
        for user in (self.alice, self.dave):
            old_token = Invitation.objects.get(pk=self.inv.pk).token
            self.client.force_login(user)
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post(self.resend)
            inv = Invitation.objects.get(pk=self.inv.pk)
            self.assertNotEqual(inv.token, old_token)
            self.assertIn(inv.token, mail.outbox[-1].body)
            self.assertEqual(self.client.get(f"/invitations/{old_token}/").status_code, 404)
        self.assertEqual(
            list(
                AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_RESEND)
                .order_by("id")
                .values_list("actor_name", flat=True)
            ),
            ["alice", "dave"],
        )

    def test_an_expired_invitation_gets_a_new_expiry(self) -> None:
        Invitation.objects.filter(pk=self.inv.pk).update(created_at="2020-01-01T00:00Z")
        self.assertTrue(Invitation.objects.get(pk=self.inv.pk).is_expired)
        services.resend_invitation(invitation=self.inv, by=self.alice)
        self.assertTrue(Invitation.objects.get(pk=self.inv.pk).is_pending)

    def test_member_and_outsider_may_not_and_a_used_one_is_refused(self) -> None:
        token = self.inv.token
        self.client.force_login(self.bob)
        self.client.post(self.resend)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.post(self.resend).status_code, 403)
        self.assertEqual(Invitation.objects.get(pk=self.inv.pk).token, token)
        with self.assertRaises(PermissionDenied):
            services.resend_invitation(invitation=self.inv, by=self.bob)
        services.revoke_invitation(invitation=self.inv, by=self.alice)
        with self.assertRaisesMessage(ValidationError, "already used or revoked"):
            services.resend_invitation(invitation=self.inv, by=self.alice)


class RequireSsoTests(MembersTestCase):
    def login(self, username: str):  # type: ignore[no-untyped-def]
        self.client.logout()
        return self.client.post("/accounts/login/", {"username": username, "password": "password"})

    def test_turning_it_on_needs_a_provider_and_a_linked_account(self) -> None:
        with self.assertRaisesMessage(ValidationError, "No single sign-on provider"):
            services.set_organization_settings(
                organization=self.org, by=self.alice, email_summaries=False, require_sso=True
            )
        with override_settings(**SSO):
            with self.assertRaisesMessage(ValidationError, "Log in once with single sign-on first"):
                services.set_organization_settings(
                    organization=self.org, by=self.alice, email_summaries=False, require_sso=True
                )
            self.org.refresh_from_db()
            self.assertFalse(self.org.require_sso)
            UserSocialAuth.objects.create(user=self.alice, provider="github", uid="1")
            self.client.force_login(self.alice)
            self.client.post(f"{self.url}settings/", {"require_sso": "on"})
        self.org.refresh_from_db()
        self.assertTrue(self.org.require_sso)
        entry = AuditEntry.objects.get(action=AuditEntry.Action.SETTINGS)
        self.assertEqual(entry.detail, {"require_sso": True})

    def test_members_are_refused_the_password_log_in_with_words_others_are_not(self) -> None:
        self.org.require_sso = True
        self.org.save()
        r = self.login("bob")
        self.assertContains(r, "requires single sign-on: log in with the single sign-on button")
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertContains(r, "Alice&#x27;s organization requires single sign-on")
        r = self.login("charlie")  # not a member: logs in as before
        self.assertEqual(r.status_code, 302)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.charlie.pk))

    def test_the_wrong_password_still_says_so_first(self) -> None:
        self.org.require_sso = True
        self.org.save()
        r = self.client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
        self.assertNotContains(r, "requires single sign-on")
        self.assertContains(r, "Please enter a correct username and password")

    def test_the_admin_log_in_is_no_side_door(self) -> None:
        self.bob.is_staff = True
        self.bob.save()
        self.org.require_sso = True
        self.org.save()
        r = self.client.post("/admin/login/", {"username": "bob", "password": "password", "next": "/admin/"})
        self.assertContains(r, "requires single sign-on")
        self.assertNotIn("_auth_user_id", self.client.session)
        self.org.require_sso = False
        self.org.save()
        r = self.client.post("/admin/login/", {"username": "bob", "password": "password", "next": "/admin/"})
        self.assertEqual(r.status_code, 302)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.bob.pk))
