"""The one way to write the audit log. Call it inside the action's transaction: the entry
commits with the action or not at all."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from audit.context import current_address
from audit.models import AuditEntry

Action = AuditEntry.Action


def record(
    *,
    organization_id: int,
    action: str,
    actor: User | None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    address: str | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """``actor`` None: the system (the retention task). ``address`` defaults to the request's."""
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry.objects.create(
        organization_id=organization_id,
        action=action,
        actor=actor,
        actor_name=(actor_name or (actor.username if actor else ""))[:150],
        target=target[:200],
        detail=detail or {},
        address=address or current_address(),
    )


def record_moderation(*, host: Any, action: str, target_name: str) -> AuditEntry:
    """A host's action in a meeting (``host`` a rooms Participant), from the host's connection."""
    from rooms.models import Room

    organization_id, room_name = (
        Room.objects.filter(meetings=host.meeting_id).values_list("organization_id", "name").get()
    )
    return record(
        organization_id=organization_id,
        action=action,
        actor=host.user,
        actor_name=host.user.username if host.user_id else host.display_name,
        target=target_name,
        detail={"room": room_name, "meeting": host.meeting_id},
        address=host.client_address,
    )
