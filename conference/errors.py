from django.core.exceptions import PermissionDenied, ValidationError


def error_text(exc: PermissionDenied | ValidationError) -> str:
    """The sentence a service raised, for a person to read (not "['...']")."""
    if isinstance(exc, ValidationError):
        return exc.messages[0]
    return str(exc) or "You are not allowed to do that."
