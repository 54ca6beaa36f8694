"""Who may do what: roles x actions, each answer asserted.

Roles: owner (alice), admin (dave), member (bob), outsider (charlie), guest (a session that
typed a name in a link room), removed participant (erin, a member a host removed from the
meeting), anonymous (no session). Actions: enter the room page, join the meeting (the service
and the WebSocket handshake), moderate, read the records (transcript, downloads, summary), and,
in OrganizationAuthorizationMatrix, invite, change roles, accept an invitation.

The rules themselves: rooms.selectors (entering rooms, reading records) and accounts.services
(organizations); the README's security section says them in words.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import resolve_url
from django.test import Client, TransactionTestCase

from accounts import services as account_services
from accounts.models import Invitation, Membership, User
from conference import protocol
from conference.asgi import application
from conference.testing import BaseTestCase, make_users, reset_channel_layers
from rooms import moderation, selectors, services
from rooms.models import Meeting, Participant, Room
from summaries import services as summary_services
from summaries.models import Summary
from transcripts.models import Segment, Transcript

TIMEOUT = 10
LOGIN = resolve_url(settings.LOGIN_URL)
MISSING_ROOM = "/rooms/no-such-room-abcdefghijkmnp/"
GUEST_KEY = "guest-session-key-of-gus"
ROLES = ("owner", "admin", "member", "outsider", "guest", "removed", "anonymous")


def add_member(org: Any, username: str, role: str, email: str = "") -> User:
    user = account_services.create_user(username=username, password="password", email=email)
    Membership.objects.create(organization=org, user=user, role=role)
    return user


class RoleClients:
    """A logged-in client per role (the guest's carries a guest session, anonymous none)."""

    def client_for(self, role: str) -> Client:
        client = Client()
        user = self.user_for(role)  # type: ignore[attr-defined]
        if user is not None:
            client.force_login(user)
        elif role == "guest":
            session = client.session
            session["guest_name"], session["guest_key"] = "Gus", GUEST_KEY
            session.save()
        return client


class RoomAuthorizationMatrix(RoleClients, BaseTestCase):
    """Entering the page and joining the meeting of a members-only room; moderating it."""

    def setUp(self) -> None:
        super().setUp()
        self.dave = add_member(self.org, "dave", Membership.Role.ADMIN)
        self.erin = add_member(self.org, "erin", Membership.Role.MEMBER)
        # A live meeting erin was removed from (alice, who hosts it, stays).
        self.p_alice = services.join_meeting(room=self.room, user=self.alice)
        p_erin = services.join_meeting(room=self.room, user=self.erin)
        moderation.remove_participant(host=self.p_alice, target=p_erin)

    def user_for(self, role: str) -> User | None:
        return {
            "owner": self.alice,
            "admin": self.dave,
            "member": self.bob,
            "outsider": self.charlie,
            "removed": self.erin,
        }.get(role)

    def answer(self, client: Client, url: str) -> tuple[int, bytes, str]:
        r = client.get(url)
        return r.status_code, r.content, r.get("Location", "").replace(url, "<url>")

    def test_enter_room_page(self) -> None:
        expected = {
            "owner": 200,
            "admin": 200,
            "member": 200,
            "removed": 200,  # the page; the meeting itself refuses them (below)
            "outsider": 404,
            "guest": 302,  # a guest name is for link rooms: log in
            "anonymous": 302,
        }
        for role in ROLES:
            with self.subTest(role=role):
                client = self.client_for(role)
                status, body, location = self.answer(client, self.room.get_absolute_url())
                self.assertEqual(status, expected[role])
                if status == 302:
                    self.assertEqual(location, f"{LOGIN}?next=<url>")
                if status != 200:  # the same answer as for a room that does not exist
                    self.assertEqual((status, body, location), self.answer(client, MISSING_ROOM))

    def test_join_meeting_service(self) -> None:
        cases: dict[str, Any] = {
            "owner": dict(user=self.alice),
            "admin": dict(user=self.dave),
            "member": dict(user=self.bob),
            "outsider": dict(user=self.charlie),
            "guest": dict(user=None, guest_name="Gus", guest_key=GUEST_KEY),
            "removed": dict(user=self.erin),
            "anonymous": dict(user=None),
        }
        hosts = {"owner": True, "admin": True, "member": False}
        for role, kwargs in cases.items():
            with self.subTest(role=role):
                if role in hosts:
                    p = services.join_meeting(room=self.room, **kwargs)
                    self.assertEqual((p.meeting_id, p.is_host), (self.p_alice.meeting_id, hosts[role]))
                else:
                    expected = services.Removed if role == "removed" else services.NotAllowed
                    with self.assertRaises(expected):
                        services.join_meeting(room=self.room, **kwargs)
        self.assertFalse(Participant.objects.filter(user__in=[self.charlie], left_at__isnull=True).exists())
        self.assertEqual(self.erin.participations.count(), 1)

    def test_join_link_room_service(self) -> None:
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        self.assertFalse(services.join_meeting(room=self.room, user=self.charlie).is_host)
        guest = services.join_meeting(room=self.room, user=None, guest_name="Gus", guest_key=GUEST_KEY)
        self.assertTrue(selectors.participant_info(guest)["guest"])
        with self.assertRaises(services.NotAllowed):
            services.join_meeting(room=self.room, user=None)  # a name is needed
        with self.assertRaises(services.Removed):
            services.join_meeting(room=self.room, user=self.erin)

    def test_a_removed_guest_session_stays_out(self) -> None:
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        guest = services.join_meeting(room=self.room, user=None, guest_name="Gus", guest_key=GUEST_KEY)
        moderation.remove_participant(host=self.p_alice, target=guest)
        with self.assertRaises(services.Removed):
            services.join_meeting(room=self.room, user=None, guest_name="Gus", guest_key=GUEST_KEY)
        # Another guest session (another person) is not affected.
        services.join_meeting(room=self.room, user=None, guest_name="Gus", guest_key="another-key")

    def test_moderate(self) -> None:
        p_dave = services.join_meeting(room=self.room, user=self.dave)
        p_bob = services.join_meeting(room=self.room, user=self.bob)
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        p_guest = services.join_meeting(room=self.room, user=None, guest_name="Gus", guest_key=GUEST_KEY)
        target = services.join_meeting(room=self.room, user=self.charlie)
        for role, host in (("owner", self.p_alice), ("admin", p_dave)):
            with self.subTest(role=role):
                moderation.mute_participant(host=host, target=target)
                services.set_room_locked(room=self.room, locked=False, by=self.user_for(role))
        for role, who in (("member", p_bob), ("guest", p_guest)):
            with self.subTest(role=role):
                for act in (moderation.mute_participant, moderation.remove_participant):
                    with self.assertRaises(PermissionDenied):
                        act(host=who, target=target)
        for role in ("member", "outsider", "removed", "anonymous"):
            with self.subTest(role=role, action="lock"), self.assertRaises(PermissionDenied):
                services.set_room_locked(room=self.room, locked=True, by=self.user_for(role))
        moderation.remove_participant(host=p_dave, target=target)
        self.assertEqual(Participant.objects.get(pk=target.pk).left_reason, "removed")


class RecordsAuthorizationMatrix(RoleClients, BaseTestCase):
    """The transcript, its downloads and the summary of an ended meeting of a link room: bob, a
    guest and erin took part, alice hosted and removed erin, dave (admin) was not there."""

    def setUp(self) -> None:
        super().setUp()
        self.dave = add_member(self.org, "dave", Membership.Role.ADMIN)
        self.erin = add_member(self.org, "erin", Membership.Role.MEMBER)
        Room.objects.filter(pk=self.room.pk).update(access=Room.Access.LINK)
        p_alice = services.join_meeting(room=self.room, user=self.alice)
        services.join_meeting(room=self.room, user=self.bob)
        services.join_meeting(room=self.room, user=None, guest_name="Gus", guest_key=GUEST_KEY)
        p_erin = services.join_meeting(room=self.room, user=self.erin)
        moderation.remove_participant(host=p_alice, target=p_erin)
        self.meeting = Meeting.objects.get(pk=p_alice.meeting_id)
        services.end_meeting(meeting=self.meeting)
        transcript, _ = Transcript.objects.get_or_create(meeting=self.meeting)
        Segment.objects.create(transcript=transcript, speaker="Bob", start=1, end=2, text="The secret plan.")
        Summary.objects.create(meeting=self.meeting, status=Summary.Status.DONE, summary="The secret plan.")
        m = self.meeting.pk
        self.urls = [
            f"/meetings/{m}/transcript/",
            f"/meetings/{m}/transcript.txt",
            f"/meetings/{m}/transcript.vtt",
            f"/meetings/{m}/transcript.json",
            f"/meetings/{m}/",
            f"/meetings/{m}/summary.md",
        ]

    def user_for(self, role: str) -> User | None:
        return {
            "owner": self.alice,
            "admin": self.dave,
            "member": self.bob,
            "outsider": self.charlie,
            "removed": self.erin,
        }.get(role)

    def test_read_transcript_downloads_and_summary(self) -> None:
        expected = {
            "owner": 200,
            "admin": 200,  # owners and admins always, present or not
            "member": 200,  # took part
            "guest": 200,  # took part, by its guest session
            "outsider": 403,
            "removed": 403,
            "anonymous": 302,
        }
        for role in ROLES:
            client = self.client_for(role)
            for url in self.urls:
                with self.subTest(role=role, url=url):
                    r = client.get(url)
                    self.assertEqual(r.status_code, expected[role])
                    if r.status_code == 200:
                        self.assertIn(b"secret plan", r.content)
                    else:
                        self.assertNotIn(b"secret plan", r.content)
                    if r.status_code == 302:
                        self.assertEqual(r["Location"], f"{LOGIN}?next={url}")

    def test_a_member_who_was_not_there_reads_nothing(self) -> None:
        frank = add_member(self.org, "frank", Membership.Role.MEMBER)
        client = Client()
        client.force_login(frank)
        for url in self.urls:
            with self.subTest(url=url):
                self.assertEqual(client.get(url).status_code, 403)
        self.assertFalse(selectors.meetings_for_user(frank).exists())

    def test_another_guest_session_reads_nothing(self) -> None:
        client = Client()
        session = client.session
        session["guest_name"], session["guest_key"] = "Gus", "another-guest-key"
        session.save()
        self.assertEqual(client.get(self.urls[0]).status_code, 403)

    def test_the_meetings_list_follows_the_same_rule(self) -> None:
        for user, listed in ((self.alice, True), (self.dave, True), (self.bob, True), (self.erin, False)):
            with self.subTest(user=user.username):
                self.assertEqual(
                    selectors.meetings_for_user(user).filter(pk=self.meeting.pk).exists(), listed
                )

    def test_summary_is_emailed_only_to_those_the_rule_allows(self) -> None:
        for user in (self.alice, self.bob, self.erin, self.dave):
            user.email = f"{user.username}@example.com"
            user.save()
        self.org.email_summaries = True
        self.org.save()
        summary = Summary.objects.get(meeting=self.meeting)
        self.assertTrue(summary_services.email_summary(summary_id=summary.id))
        # Participants only (dave was not there), and not erin, who was removed.
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["alice@example.com", "bob@example.com"])
        self.assertEqual([u.username for u in selectors.record_recipients(self.meeting)], ["alice", "bob"])

    def test_summarize_is_for_hosts_only(self) -> None:
        for role, status in (
            ("owner", 302),
            ("admin", 302),
            ("member", 403),
            ("guest", 302),
            ("removed", 403),
        ):
            with self.subTest(role=role):
                r = self.client_for(role).post(f"/meetings/{self.meeting.pk}/summarize/")
                self.assertEqual(r.status_code, status)
                if role == "guest":  # summarize needs an account
                    self.assertTrue(r["Location"].startswith(LOGIN))


class HandshakeAuthorizationMatrix(TransactionTestCase):
    """The WebSocket handshake and join of a members-only room, over the real ASGI stack."""

    def setUp(self) -> None:
        reset_channel_layers()
        make_users(self)
        self.dave = add_member(self.org, "dave", Membership.Role.ADMIN)
        self.erin = add_member(self.org, "erin", Membership.Role.MEMBER)
        self.p_alice = services.join_meeting(room=self.room, user=self.alice)
        p_erin = services.join_meeting(room=self.room, user=self.erin)
        moderation.remove_participant(host=self.p_alice, target=p_erin)
        self.communicators: list[WebsocketCommunicator] = []

    def cookie_for(self, role: str) -> str:
        client = Client()
        users = {"owner": self.alice, "admin": self.dave, "member": self.bob}
        users |= {"outsider": self.charlie, "removed": self.erin}
        if role in users:
            client.force_login(users[role])
        elif role == "guest":
            session = client.session
            session["guest_name"], session["guest_key"] = "Gus", GUEST_KEY
            session.save()
        else:
            return ""
        return f"sessionid={client.session.session_key}"

    def communicator(self, cookie: str, path: str) -> WebsocketCommunicator:
        headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        c = WebsocketCommunicator(application, path, headers=headers)
        self.communicators.append(c)
        return c

    async def next_of(self, c: WebsocketCommunicator, kind: str) -> dict[str, Any]:
        for _ in range(20):
            message = json.loads(await c.receive_from(timeout=TIMEOUT))
            if message["type"] == kind:
                return message
        raise AssertionError(f"no {kind!r} message")

    async def test_handshake_and_join(self) -> None:
        room_path, missing_path = f"/ws/rooms/{self.room.slug}/", f"/ws{MISSING_ROOM}"
        try:
            for role in ROLES:
                with self.subTest(role=role):
                    cookie = await database_sync_to_async(self.cookie_for)(role)
                    c = self.communicator(cookie, room_path)
                    answer = await c.connect(timeout=TIMEOUT)
                    if role in ("outsider", "guest", "anonymous"):
                        # Refused at the handshake, exactly as for a room that does not exist.
                        missing = await self.communicator(cookie, missing_path).connect(timeout=TIMEOUT)
                        self.assertFalse(answer[0])
                        self.assertEqual(answer, missing)
                        continue
                    self.assertTrue(answer[0])
                    await c.send_to(text_data=json.dumps({"type": "join"}))
                    if role == "removed":
                        error = await self.next_of(c, "error")
                        self.assertEqual((error["code"], error["fatal"]), ("removed", True))
                        self.assertIn("host can let you back in", error["message"])
                        out = await c.receive_output(timeout=TIMEOUT)
                        self.assertEqual(out, {"type": "websocket.close", "code": protocol.CLOSE_REMOVED})
                    else:
                        joined = await self.next_of(c, "joined")
                        self.assertEqual(joined["participant"]["is_host"], role in ("owner", "admin"))
                        self.assertFalse(joined["participant"]["guest"])
        finally:
            for c in self.communicators:
                try:
                    await c.disconnect(timeout=TIMEOUT)
                except Exception:  # already closed by the server
                    pass
        removed = Participant.objects.filter(user=self.erin)
        self.assertEqual(await removed.acount(), 1)
        self.assertFalse(await Participant.objects.filter(user=self.charlie).aexists())


def verify(user: User) -> None:
    """Mark the account's e-mail verified ("security"'s accounts.User.email_verified)."""
    User.objects.filter(pk=user.pk).update(email_verified=True)


class OrganizationAuthorizationMatrix(BaseTestCase):
    """Invite, change roles, accept an invitation, by the rules of issue 9: only owners invite or
    promote owners, admins never see owner invitation tokens, invitations are bound to the
    invited (verified) e-mail, single use; the last owner stays."""

    def setUp(self) -> None:
        super().setUp()
        self.dave = add_member(self.org, "dave", Membership.Role.ADMIN, email="dave@example.com")
        self.erin = add_member(self.org, "erin", Membership.Role.MEMBER)  # the "removed" role: a member
        self.m_bob = Membership.objects.get(organization=self.org, user=self.bob)
        self.m_alice = Membership.objects.get(organization=self.org, user=self.alice)

    def user_for(self, role: str) -> User | None:
        return {
            "owner": self.alice,
            "admin": self.dave,
            "member": self.bob,
            "outsider": self.charlie,
            "removed": self.erin,
        }.get(role)

    def invite(self, as_role: str, by: User | None = None) -> Invitation:
        return account_services.invite_member(
            organization=self.org,
            email=f"new-{as_role}@example.com",
            role=as_role,
            invited_by=by or self.alice,
        )

    def test_invite(self) -> None:
        allowed = {
            "owner": {"member", "admin", "owner"},
            "admin": {"member", "admin"},
        }
        for role in ("owner", "admin", "member", "outsider", "removed"):
            for as_role in ("member", "admin", "owner"):
                with self.subTest(role=role, invites=as_role):
                    user = self.user_for(role)
                    assert user is not None
                    if as_role in allowed.get(role, set()):
                        inv = self.invite(as_role, by=user)
                        self.assertEqual(inv.role, as_role)
                    else:
                        with self.assertRaises(PermissionDenied):
                            self.invite(as_role, by=user)

    def test_invite_page_for_guests_and_anonymous_is_log_in(self) -> None:
        url = f"/organizations/{self.org.slug}/"
        for role in ("guest", "anonymous"):
            with self.subTest(role=role):
                client = Client()
                if role == "guest":
                    session = client.session
                    session["guest_name"], session["guest_key"] = "Gus", GUEST_KEY
                    session.save()
                r = client.post(url, {"email": "x@example.com", "role": "member"})
                self.assertEqual(r.status_code, 302)
                self.assertTrue(r["Location"].startswith(LOGIN))
        self.assertFalse(Invitation.objects.exists())

    def test_admins_never_see_owner_invitation_tokens(self) -> None:
        owner_inv = self.invite("owner")
        member_inv = self.invite("member")
        self.client.force_login(self.dave)
        page = self.client.get(f"/organizations/{self.org.slug}/").content.decode()
        self.assertFalse(owner_inv.token in page, "an admin sees an owner invitation's token")
        self.client.force_login(self.alice)
        self.assertIn(member_inv.email, self.client.get(f"/organizations/{self.org.slug}/").content.decode())

    def test_change_roles(self) -> None:
        rows = [
            ("owner", "admin", None),
            ("owner", "member", None),
            ("owner", "owner", None),
            ("admin", "admin", None),
            ("admin", "member", None),
            ("admin", "owner", PermissionDenied),  # only owners promote owners
            ("member", "admin", PermissionDenied),
            ("outsider", "admin", PermissionDenied),
            ("removed", "admin", PermissionDenied),
        ]
        for role, to, error in rows:
            with self.subTest(role=role, to=to):
                self.m_bob.refresh_from_db()
                by = self.user_for(role)
                assert by is not None
                if error is None:
                    account_services.set_member_role(membership=self.m_bob, role=to, by=by)
                    self.m_bob.refresh_from_db()
                    self.assertEqual(self.m_bob.role, to)
                    self.m_bob.role = Membership.Role.MEMBER
                    self.m_bob.save()
                else:
                    with self.assertRaises(error):
                        account_services.set_member_role(membership=self.m_bob, role=to, by=by)
                    self.m_bob.refresh_from_db()
                    self.assertEqual(self.m_bob.role, Membership.Role.MEMBER)

    def test_admins_cannot_demote_or_remove_owners(self) -> None:
        with self.assertRaises(PermissionDenied):
            account_services.set_member_role(membership=self.m_alice, role="member", by=self.dave)
        with self.assertRaises(PermissionDenied):
            account_services.remove_member(membership=self.m_alice, by=self.dave)
        self.m_alice.refresh_from_db()
        self.assertEqual(self.m_alice.role, Membership.Role.OWNER)

    def test_the_last_owner_stays(self) -> None:
        with self.assertRaises(ValidationError):
            account_services.set_member_role(membership=self.m_alice, role="member", by=self.alice)
        with self.assertRaises(ValidationError):
            account_services.remove_member(membership=self.m_alice, by=self.alice)
        self.assertTrue(Membership.objects.filter(pk=self.m_alice.pk, role="owner").exists())

    def test_change_roles_page_for_anonymous_is_log_in(self) -> None:
        r = Client().post(f"/organizations/{self.org.slug}/members/{self.m_bob.pk}/", {"role": "owner"})
        self.assertEqual(r.status_code, 302)
        self.assertTrue(r["Location"].startswith(LOGIN))
        self.m_bob.refresh_from_db()
        self.assertEqual(self.m_bob.role, Membership.Role.MEMBER)

    def test_accept_invitation_by_the_verified_invited_address(self) -> None:
        inv = self.invite("member")  # to new-member@example.com
        frank = account_services.create_user(username="frank", password="password", email=inv.email)
        verify(frank)
        membership = account_services.accept_invitation(invitation=inv, user=frank)
        self.assertEqual((membership.organization_id, membership.role), (self.org.pk, "member"))
        with self.assertRaises(ValidationError):  # single use
            account_services.accept_invitation(invitation=inv, user=frank)

    def test_accept_invitation_refused_for_another_address(self) -> None:
        inv = self.invite("owner")
        # The admin's second account (the takeover of issue 9), an outsider, the admin.
        second = account_services.create_user(username="dave2", password="password", email="d2@example.com")
        verify(second)
        self.charlie.email = "charlie@example.com"
        self.charlie.save()
        verify(self.charlie)
        verify(self.dave)
        for user in (second, self.charlie, self.dave):
            with self.subTest(user=user.username), self.assertRaises(ValidationError):
                account_services.accept_invitation(invitation=inv, user=user)
        self.assertFalse(
            Membership.objects.filter(organization=self.org, user__in=[second, self.charlie]).exists()
        )
        self.assertEqual(Invitation.objects.get(pk=inv.pk).accepted_at, None)

    def test_accept_invitation_refused_while_the_address_is_unverified(self) -> None:
        inv = self.invite("member")
        frank = account_services.create_user(username="frank", password="password", email=inv.email)
        with self.assertRaises(ValidationError):
            account_services.accept_invitation(invitation=inv, user=frank)
        self.assertFalse(Membership.objects.filter(organization=self.org, user=frank).exists())

    def test_accept_invitation_page_for_anonymous_is_log_in(self) -> None:
        inv = self.invite("member")
        for method in ("get", "post"):
            with self.subTest(method=method):
                r = getattr(Client(), method)(f"/invitations/{inv.token}/")
                self.assertEqual(r.status_code, 302)
                self.assertTrue(r["Location"].startswith(LOGIN))
        inv.refresh_from_db()
        self.assertIsNone(inv.accepted_at)
