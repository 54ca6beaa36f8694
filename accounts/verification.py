"""Signed e-mail verification links: the token names the user and the address it was sent to,
so a link stops working once the account's address changes."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from accounts.models import User

SALT = "accounts.verify-email"


def make_token(user: User) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"user": user.pk, "email": user.email})


def user_for_token(token: str) -> User | None:
    """The user whose current address the token was made for, or None (bad, expired, outdated)."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.EMAIL_VERIFICATION_TTL_DAYS * 86400
        )
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict):
        return None
    user = User.objects.filter(pk=data.get("user")).first()
    if user is None or not user.email or user.email.lower() != str(data.get("email", "")).lower():
        return None
    return user


def console_backend() -> bool:
    """Mail goes to the web process's console (make run): the page shows the link itself."""
    return settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
