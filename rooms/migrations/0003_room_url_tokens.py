"""Existing rooms get an unguessable token in their URL, like new ones (rooms.models.room_slug).

Their old URLs (``/rooms/standup/``) answer like a missing room from now on: members find the
room's new link on their home page. Not reversible: the old slugs are not kept.
"""

import secrets

from django.db import migrations

# Frozen copy of rooms.models.room_slug (a migration must not change when the model module does).
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
LENGTH = 14


def add_tokens(apps, schema_editor):
    Room = apps.get_model("rooms", "Room")
    for room in Room.objects.only("pk", "slug").iterator():
        base = room.slug[: 80 - LENGTH - 1].strip("-") or "room"
        token = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        Room.objects.filter(pk=room.pk).update(slug=f"{base}-{token}")


class Migration(migrations.Migration):

    dependencies = [
        ('rooms', '0002_chat_author_guest'),
    ]

    operations = [
        migrations.RunPython(add_tokens, migrations.RunPython.noop, elidable=False),
    ]
