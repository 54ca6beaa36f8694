import secrets

from django.db.models import Model


def unique_slug(model: type[Model], base: str, max_length: int = 50) -> str:
    """``base``, or ``base-xxxx`` when taken (rooms always get a random suffix: links are shared)."""
    base = base[: max_length - 7].strip("-") or "x"
    candidate = base
    while model._default_manager.filter(slug=candidate).exists():  # type: ignore[attr-defined]
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate
