"""Base test case with a few named users, like healthchecks' ``hc.test.BaseTestCase``."""

from __future__ import annotations

from django.test import TestCase

from accounts import services as account_services
from accounts.models import Membership, Organization, User
from rooms import services as room_services
from rooms.models import Room


def reset_channel_layers() -> None:
    """Forget the cached channel layers. A channels-redis layer holds asyncio locks bound to the
    event loop that first used it: each async test runs its own loop, and the browser tests' live
    server is a forked process, so each needs layers of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()


def make_users(test: object) -> None:
    """alice owns "Alice's organization" and its room; bob is a member; charlie is an outsider."""
    t = test
    t.alice = account_services.create_user(username="alice", password="password", display_name="Alice")  # type: ignore[attr-defined]
    t.org = Organization.objects.get(memberships__user=t.alice)  # type: ignore[attr-defined]
    t.bob = account_services.create_user(username="bob", password="password", display_name="Bob")  # type: ignore[attr-defined]
    Membership.objects.create(organization=t.org, user=t.bob, role=Membership.Role.MEMBER)  # type: ignore[attr-defined]
    t.charlie = account_services.create_user(username="charlie", password="password", display_name="Charlie")  # type: ignore[attr-defined]
    t.room = room_services.create_room(organization=t.org, name="Standup", created_by=t.alice)  # type: ignore[attr-defined]


class BaseTestCase(TestCase):
    alice: User
    bob: User
    charlie: User
    org: Organization
    room: Room

    def setUp(self) -> None:
        super().setUp()
        make_users(self)
