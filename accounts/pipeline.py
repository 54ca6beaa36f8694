"""social-auth pipeline steps.

``associate_by_verified_email`` replaces social-core's ``associate_by_email``, which links an SSO
login to any local account with the same address, verified or not: whoever signed up first with
``victim@corp`` would own the victim's account. Here an existing account is linked only when the
provider says the address is verified AND the local account verified it too; otherwise the login
gets an account of its own (a signed-in person links explicitly: social-core's ``associate_user``).
"""

from __future__ import annotations

from typing import Any

from accounts.models import User


def _true(value: Any) -> bool:
    # Some OIDC providers send the claim as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def provider_verified_email(backend: Any, details: dict, response: dict | None) -> str:
    """The login's e-mail address if the provider vouches for it, else ""."""
    email = (details.get("email") or "").strip()
    if not email:
        return ""
    response = response or {}
    if backend.name == "github":  # the /user/emails list (scope user:email) says which are verified
        for entry in response.get("emails") or []:
            if (
                isinstance(entry, dict)
                and str(entry.get("email", "")).lower() == email.lower()
                and _true(entry.get("verified"))
            ):
                return email
        return ""
    # OIDC, Google (userinfo) and Auth0 (ID token, copied into details): the email_verified claim.
    id_token = getattr(backend, "id_token", None)
    claims = {**(id_token if isinstance(id_token, dict) else {}), **response, **details}
    return email if _true(claims.get("email_verified")) else ""


def associate_by_verified_email(
    *,
    backend: Any,
    details: dict,
    response: dict | None = None,
    user: User | None = None,
    **_: Any,
) -> dict | None:
    if user is not None:  # already linked, or a signed-in person linking their account
        return None
    email = provider_verified_email(backend, details, response)
    if not email:
        return None
    matches = list(User.objects.filter(email__iexact=email, email_verified=True, is_active=True)[:2])
    if len(matches) != 1:  # none, or ambiguous: a new account rather than a guess
        return None
    return {"user": matches[0], "is_new": False}


def setup_new_user(
    *,
    backend: Any = None,
    user: User | None = None,
    is_new: bool = False,
    details: dict | None = None,
    response: dict | None = None,
    **_: Any,
) -> None:
    """A user created through OAuth/SSO gets an organization too, and the provider's word on
    their address."""
    if user is None or not is_new:
        return
    from accounts.services import setup_personal_organization

    details = details or {}
    fields = []
    name = details.get("fullname") or ""
    if name and not user.display_name:
        user.display_name = name[:100]
        fields.append("display_name")
    if backend is not None and user.email and provider_verified_email(backend, details, response):
        user.email_verified = True
        fields.append("email_verified")
    if fields:
        user.save(update_fields=fields)
    setup_personal_organization(user=user)
