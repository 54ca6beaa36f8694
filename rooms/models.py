from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from accounts.models import Organization

# Room URLs end in a random token, so that a room cannot be found by guessing its name:
# 14 symbols of a 32-letter alphabet (lower case, no 0/o or 1/l) = 70 bits.
ROOM_TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
ROOM_TOKEN_LENGTH = 14
ROOM_SLUG_MAX_LENGTH = 80


def room_token() -> str:
    return "".join(secrets.choice(ROOM_TOKEN_ALPHABET) for _ in range(ROOM_TOKEN_LENGTH))


def room_slug(name: str) -> str:
    """``<the name, slugified>-<token>``, e.g. ``standup-k3x9...``: readable and unguessable."""
    base = slugify(name)[: ROOM_SLUG_MAX_LENGTH - ROOM_TOKEN_LENGTH - 1].strip("-") or "room"
    return f"{base}-{room_token()}"


class Room(models.Model):
    class Access(models.TextChoices):
        MEMBERS = "members", "Members of the organization"
        LINK = "link", "Anyone with the link"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=ROOM_SLUG_MAX_LENGTH, unique=True)  # see room_slug()
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.MEMBERS)
    locked = models.BooleanField(default=False)
    # People outside the organization (guests, other accounts) wait in a lobby until a host admits them.
    waiting_room = models.BooleanField(default=False)
    # At most this many people at once; None: settings.ROOM_MAX_PARTICIPANTS.
    max_participants = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="created_rooms"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived: nobody enters it any more (rooms.selectors.can_enter_room); its records stay.
    archived_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/rooms/{self.slug}/"


class Meeting(models.Model):
    """One session of a room: from the first join to the last leave."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="meetings")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    sfu_worker = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            # At most one running meeting per room.
            models.UniqueConstraint(
                fields=["room"], condition=models.Q(ended_at__isnull=True), name="one_live_meeting_per_room"
            )
        ]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.room} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class Participant(models.Model):
    """One person's place in a meeting, held by one live connection at a time.

    A reconnect (a crashed web process, a network change, a second tab) resumes the same row;
    joining again after leaving is a new row. ``rooms.presence`` keeps a Redis key per present
    participant; the reaper ends the ones whose connection is gone.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
    )
    display_name = models.CharField(max_length=100)
    guest_key = models.CharField(max_length=64, blank=True)  # a guest's session identity
    is_host = models.BooleanField(default=False)
    channel_name = models.CharField(max_length=200, blank=True)  # the connection holding it now
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)  # sha256 hex
    client_address = models.GenericIPAddressField(null=True, blank=True)  # for the per-address cap
    host_muted = models.BooleanField(default=False)  # muted by a host until a host allows unmuting
    hand_raised_at = models.DateTimeField(null=True, blank=True)  # hand up since (the queue's order)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=20, blank=True)
    audio = models.BooleanField(default=True)
    video = models.BooleanField(default=True)
    screen = models.BooleanField(default=False)

    class Meta:
        ordering = ["joined_at"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


class ChatMessage(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="chat_messages")
    participant = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, related_name="+")
    author_name = models.CharField(max_length=100)
    author_guest = models.BooleanField(default=False)  # kept with the message: its participant may go
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:40]}"


class Admission(models.Model):
    """Someone in a waiting room's lobby asking to join, and the host's answer. A denial is final
    for that meeting; an admission lets the person (account, or guest session) in for it."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ADMITTED = "admitted", "Admitted"
        DENIED = "denied", "Denied"
        GONE = "gone", "Left the lobby"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="admissions")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    guest_key = models.CharField(max_length=64, blank=True)
    display_name = models.CharField(max_length=100)
    channel_name = models.CharField(max_length=200, blank=True)  # the waiting connection
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    decided_by = models.CharField(max_length=100, blank=True)  # the host's name
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.state})"
