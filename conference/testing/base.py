"""Base test cases with a few named users, like healthchecks' ``hc.test.BaseTestCase``.

alice owns "Alice's organization" and its room "Standup"; bob is a member; charlie is an outsider.
``BaseTestCase`` (a TestCase) and ``BaseTransactionTestCase`` set them up in ``setUp``; any other
test case (async, live server) mixes ``NamedUsersMixin`` in and calls ``self.set_up_users()``.
"""

from __future__ import annotations

import dataclasses

from django.test import TestCase, TransactionTestCase

from accounts import services as account_services
from accounts.models import Membership, Organization, User
from rooms import services as room_services
from rooms.models import Room


def clear_rate_limits() -> None:
    """Forget django-ratelimit's counters (cache keys ``...:rl:...`` under this run's prefix): they
    live in Redis, not in the test transaction, so without this one test's requests count against
    the next one's (every test client comes from 127.0.0.1)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{settings.REDIS_PREFIX}:cache:*rl:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def reset_channel_layers() -> None:
    """Forget the cached channel layers. A channels-redis layer holds asyncio locks bound to the
    event loop that first used it: each async test runs its own loop, and the browser tests' live
    server is a forked process, so each needs layers of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()


@dataclasses.dataclass(frozen=True)
class NamedUsers:
    alice: User
    bob: User
    charlie: User
    org: Organization
    room: Room


def create_named_users() -> NamedUsers:
    """alice owns "Alice's organization" and its room; bob is a member; charlie is an outsider."""
    alice = account_services.create_user(username="alice", password="password", display_name="Alice")
    org = Organization.objects.get(memberships__user=alice)
    bob = account_services.create_user(username="bob", password="password", display_name="Bob")
    Membership.objects.create(organization=org, user=bob, role=Membership.Role.MEMBER)
    charlie = account_services.create_user(username="charlie", password="password", display_name="Charlie")
    room = room_services.create_room(organization=org, name="Standup", created_by=alice)
    return NamedUsers(alice=alice, bob=bob, charlie=charlie, org=org, room=room)


def make_users(test: object) -> None:
    """Set the named users as attributes of ``test`` (prefer ``NamedUsersMixin``)."""
    users = create_named_users()
    for f in dataclasses.fields(users):
        setattr(test, f.name, getattr(users, f.name))


class NamedUsersMixin:
    """The named users as typed attributes of a test case."""

    alice: User
    bob: User
    charlie: User
    org: Organization
    room: Room

    def set_up_users(self) -> None:
        users = create_named_users()
        self.alice, self.bob, self.charlie = users.alice, users.bob, users.charlie
        self.org, self.room = users.org, users.room


class BaseTestCase(NamedUsersMixin, TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.set_up_users()


class BaseTransactionTestCase(NamedUsersMixin, TransactionTestCase):
    """For tests whose work runs in another thread or process (workers), outside a test transaction."""

    def setUp(self) -> None:
        super().setUp()
        self.set_up_users()
