"""Guest display names: trimmed and bounded, the same in the guest form and in join_meeting."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

GUEST_NAME_MAX_LENGTH = 50
# Format characters that may stay: the joiners inside emoji and scripts that need them.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}


def clean_guest_name(name: str) -> str:
    """``name`` with its whitespace collapsed (runs to one space, none at the ends); a clear
    ValidationError when it is empty, longer than GUEST_NAME_MAX_LENGTH characters or holds a
    control or invisible formatting character (bidirectional overrides included)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Type a name the others will see.")
    if len(name) > GUEST_NAME_MAX_LENGTH:
        raise ValidationError(f"Names are limited to {GUEST_NAME_MAX_LENGTH} characters.")
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] == "C" and ch not in _ALLOWED_FORMAT:
            raise ValidationError("Names cannot contain control or invisible characters.")
    return name
