"""social-auth pipeline step: a user created through OAuth/SSO gets an organization too."""

from typing import Any

from accounts.models import User


def setup_new_user(
    *, user: User | None = None, is_new: bool = False, details: dict | None = None, **_: Any
) -> None:
    if user is None or not is_new:
        return
    from accounts.services import setup_personal_organization

    name = (details or {}).get("fullname") or ""
    if name and not user.display_name:
        user.display_name = name[:100]
        user.save(update_fields=["display_name"])
    setup_personal_organization(user=user)
